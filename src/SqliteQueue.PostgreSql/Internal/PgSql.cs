namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// The store's writes, one named constant each. <c>{schema}</c> stands for the configured schema, replaced once when
/// the store starts (see <see cref="PgSqlText"/>); nothing else is spliced in. Every "now" is <c>@now</c> when the
/// store runs on a test's clock and the database's clock otherwise (<see cref="Now"/>), evaluated once per statement
/// in a MATERIALIZED CTE so one statement never sees two times.
/// </summary>
internal static partial class PgSql
{
    private const string Now = "coalesce(@now, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)";

    private const string Clock = "t AS MATERIALIZED (SELECT " + Now + " AS now)";

    // A job not delayed runs at the database's now; a delayed one at that now plus its delay, so producers' clocks
    // never decide the order. On a test's clock, @run_at is the exact time asked for.
    public const string Insert = $$"""
        WITH {{Clock}}
        INSERT INTO {schema}.jobs (queue, type, payload, priority, state, run_at, max_attempts, timeout_ms, dedup_key, created_at, trace_parent, trace_state)
        SELECT @queue, @type, @payload, @priority, 'pending', coalesce(@run_at, t.now + @delay_ms), @max_attempts, @timeout_ms, @dedup_key, t.now, @trace_parent, @trace_state
        FROM t
        ON CONFLICT DO NOTHING
        RETURNING id;
        """;

    // A run of jobs without deduplication keys in one statement. Identity values are drawn in the order rows are
    // inserted, which follows the ordinality, so the sorted ids are the input order.
    public const string InsertMany = $$"""
        WITH {{Clock}}
        INSERT INTO {schema}.jobs (queue, type, payload, priority, state, run_at, max_attempts, timeout_ms, created_at, trace_parent, trace_state)
        SELECT i.queue, i.type, i.payload, i.priority, 'pending', coalesce(i.run_at, t.now + i.delay_ms), i.max_attempts, i.timeout_ms, t.now, i.trace_parent, i.trace_state
        FROM t, unnest(@queues, @types, @payloads, @priorities, @run_ats, @delays, @max_attempts, @timeouts, @trace_parents, @trace_states)
            WITH ORDINALITY AS i(queue, type, payload, priority, run_at, delay_ms, max_attempts, timeout_ms, trace_parent, trace_state, ord)
        ORDER BY i.ord
        RETURNING id;
        """;

    public const string FindLiveDuplicate = """
        SELECT id FROM {schema}.jobs
        WHERE queue = @queue AND dedup_key = @dedup_key AND state IN ('pending', 'running');
        """;

    // Expired leases are rescued inside each claim's transaction, on every queue, as on SQLite: a started job has
    // spent its attempt (dead once they are spent), a held one goes back as it was. Locked rows belong to a
    // transaction settling them now, and are skipped.
    public const string RescueExpiredLeases = $$"""
        WITH {{Clock}},
        expired AS MATERIALIZED (
            SELECT j.id, j.attempt, j.max_attempts, j.lease_owner, j.started_at, j.cancel_requested
            FROM {schema}.jobs j
            WHERE j.state = 'running' AND j.lease_expires_at <= (SELECT now FROM t)
            FOR UPDATE OF j SKIP LOCKED),
        history AS (
            INSERT INTO {schema}.executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
            SELECT e.id, e.attempt, e.lease_owner, e.started_at, t.now, 'lease_expired', @error
            FROM expired e, t WHERE e.started_at IS NOT NULL)
        UPDATE {schema}.jobs j
        SET state = CASE WHEN e.cancel_requested THEN 'cancelled'
                         WHEN e.started_at IS NOT NULL AND e.attempt >= e.max_attempts THEN 'dead'
                         ELSE 'pending' END,
            finished_at = CASE WHEN e.cancel_requested OR (e.started_at IS NOT NULL AND e.attempt >= e.max_attempts) THEN t.now END,
            last_error = CASE WHEN e.started_at IS NOT NULL THEN @error ELSE j.last_error END,
            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        FROM expired e, t
        WHERE j.id = e.id
        RETURNING j.queue, j.state, j.type;
        """;

    // Claims: one statement per step. "now" is read through a scalar subquery, which the planner makes an index bound
    // (a join with t would only filter), so delayed jobs are never walked. The rows are picked in claim order and locked, skipping rows another claim holds,
    // then numbered in that order: the first @starts start now (their attempt counts), the rest are held.
    private const string ClaimSet = """
        UPDATE {schema}.jobs j
        SET state = 'running',
            attempt = j.attempt + CASE WHEN p.rn <= @starts THEN 1 ELSE 0 END,
            lease_owner = @owner, lease_token = @token, lease_expires_at = t.now + @lease_ms,
            started_at = CASE WHEN p.rn <= @starts THEN t.now END
        FROM numbered p, t
        WHERE j.id = p.id
        RETURNING j.id, j.queue, j.type, j.payload, j.priority, j.attempt, j.max_attempts, j.timeout_ms, j.created_at,
                  j.recurring_name, j.occurrence_at, j.occurrence_missed, j.trace_parent, j.trace_state, j.run_at, p.rn, t.now;
        """;

    public const string ClaimFifo = $$"""
        WITH {{Clock}},
        picked AS MATERIALIZED (
            SELECT j.id, j.run_at FROM {schema}.jobs j
            WHERE j.state = 'pending' AND j.queue = @queue AND j.run_at <= (SELECT now FROM t)
            ORDER BY j.run_at, j.id LIMIT @n
            FOR UPDATE OF j SKIP LOCKED),
        numbered AS (SELECT id, row_number() OVER (ORDER BY run_at, id) AS rn FROM picked)
        {{ClaimSet}}
        """;

    public const string ClaimLifo = $$"""
        WITH {{Clock}},
        picked AS MATERIALIZED (
            SELECT j.id, j.run_at FROM {schema}.jobs j
            WHERE j.state = 'pending' AND j.queue = @queue AND j.run_at <= (SELECT now FROM t)
            ORDER BY j.run_at DESC, j.id DESC LIMIT @n
            FOR UPDATE OF j SKIP LOCKED),
        numbered AS (SELECT id, row_number() OVER (ORDER BY run_at DESC, id DESC) AS rn FROM picked)
        {{ClaimSet}}
        """;

    public const string ClaimPriority = $$"""
        WITH {{Clock}},
        picked AS MATERIALIZED (
            SELECT j.id, j.priority, j.run_at FROM {schema}.jobs j
            WHERE j.state = 'pending' AND j.queue = @queue AND j.run_at <= (SELECT now FROM t)
            ORDER BY j.priority, j.run_at, j.id LIMIT @n
            FOR UPDATE OF j SKIP LOCKED),
        numbered AS (SELECT id, row_number() OVER (ORDER BY priority, run_at, id) AS rn FROM picked)
        {{ClaimSet}}
        """;

    public const string ClaimInClass = $$"""
        WITH {{Clock}},
        picked AS MATERIALIZED (
            SELECT j.id, j.run_at FROM {schema}.jobs j
            WHERE j.state = 'pending' AND j.queue = @queue AND j.priority = @priority AND j.run_at <= (SELECT now FROM t)
            ORDER BY j.run_at, j.id LIMIT @n
            FOR UPDATE OF j SKIP LOCKED),
        numbered AS (SELECT id, row_number() OVER (ORDER BY run_at, id) AS rn FROM picked)
        {{ClaimSet}}
        """;

    // Skip scan over the priority index: one seek per distinct priority and one for its earliest run_at.
    public const string PriorityClasses = $$"""
        WITH RECURSIVE classes(priority) AS (
            SELECT (SELECT min(priority) FROM {schema}.jobs WHERE queue = @queue AND state = 'pending')
            UNION ALL
            SELECT (SELECT min(j.priority) FROM {schema}.jobs AS j
                    WHERE j.queue = @queue AND j.state = 'pending' AND j.priority > classes.priority)
            FROM classes
            WHERE classes.priority IS NOT NULL
        ),
        {{Clock}}
        SELECT c.priority,
               (SELECT min(r.run_at) FROM {schema}.jobs AS r
                WHERE r.queue = @queue AND r.state = 'pending' AND r.priority = c.priority) AS first_run_at,
               t.now
        FROM classes c, t
        WHERE c.priority IS NOT NULL;
        """;
}
