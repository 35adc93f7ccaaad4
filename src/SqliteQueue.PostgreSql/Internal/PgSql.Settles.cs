namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// Settles: every one fenced by the job's id, its lease token and <c>state = 'running'</c>. The rows are locked and read
/// first (<c>FOR UPDATE</c> returns the newest version), so the execution row records what the job was when settled.
/// Statements that must say when they ran end with <c>SELECT ... FROM t LEFT JOIN</c>, giving one row even when
/// nothing was changed.
/// </summary>
internal static partial class PgSql
{
    // Completions for any number of jobs: each fenced by its own token; the same (id, token) named twice counts once.
    public const string Complete = $$"""
        WITH {{Clock}},
        input AS (SELECT DISTINCT id, token FROM unnest(@ids, @tokens) AS i(id, token)),
        locked AS MATERIALIZED (
            SELECT j.id, j.attempt, j.lease_owner, j.started_at, j.lease_token
            FROM {schema}.jobs j JOIN input i ON j.id = i.id AND j.lease_token = i.token
            WHERE j.state = 'running'
            FOR UPDATE OF j),
        history AS (
            INSERT INTO {schema}.executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
            SELECT l.id, l.attempt, l.lease_owner, coalesce(l.started_at, t.now), t.now, 'completed', NULL FROM locked l, t),
        done AS (
            UPDATE {schema}.jobs j
            SET state = 'completed', finished_at = t.now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            FROM locked l, t
            WHERE j.id = l.id
            RETURNING j.id, l.lease_token)
        SELECT t.now, d.id, d.lease_token FROM t LEFT JOIN done d ON true;
        """;

    // A held job's handler is about to run: its attempt counts from here on. One whose cancel was requested stays
    // held (its worker gives it back, and it ends cancelled having spent nothing).
    public const string StartHeld = $$"""
        WITH {{Clock}}
        UPDATE {schema}.jobs j
        SET attempt = j.attempt + CASE WHEN j.cancel_requested THEN 0 ELSE 1 END,
            started_at = CASE WHEN j.cancel_requested THEN NULL ELSE t.now END
        FROM t, unnest(@ids, @tokens) AS i(id, token)
        WHERE j.id = i.id AND j.lease_token = i.token AND j.state = 'running' AND j.started_at IS NULL
        RETURNING j.id, j.lease_token, j.cancel_requested;
        """;

    public const string Fail = $$"""
        WITH {{Clock}},
        locked AS MATERIALIZED (
            SELECT id, attempt, max_attempts, lease_owner, started_at, cancel_requested
            FROM {schema}.jobs
            WHERE id = @id AND state = 'running' AND lease_token = @token
            FOR UPDATE),
        history AS (
            INSERT INTO {schema}.executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
            SELECT l.id, l.attempt, l.lease_owner, coalesce(l.started_at, t.now), t.now, 'failed', @error FROM locked l, t),
        failed AS (
            UPDATE {schema}.jobs j
            SET state = CASE WHEN l.cancel_requested THEN 'cancelled'
                             WHEN @permanent OR l.attempt >= l.max_attempts THEN 'dead'
                             ELSE 'pending' END,
                run_at = CASE WHEN l.cancel_requested OR @permanent OR l.attempt >= l.max_attempts THEN j.run_at ELSE t.now + @delay_ms END,
                finished_at = CASE WHEN l.cancel_requested OR @permanent OR l.attempt >= l.max_attempts THEN t.now END,
                last_error = @error, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            FROM locked l, t
            WHERE j.id = l.id
            RETURNING j.state, j.run_at)
        SELECT t.now, f.state, f.run_at FROM t LEFT JOIN failed f ON true;
        """;

    // Giving a job back undoes the attempt counted when it started; a held job never spent one and leaves no execution.
    public const string Release = $$"""
        WITH {{Clock}},
        locked AS MATERIALIZED (
            SELECT id, attempt, lease_owner, started_at, cancel_requested
            FROM {schema}.jobs
            WHERE id = @id AND state = 'running' AND lease_token = @token
            FOR UPDATE),
        history AS (
            INSERT INTO {schema}.executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
            SELECT l.id, l.attempt, l.lease_owner, l.started_at, t.now, 'released', NULL
            FROM locked l, t WHERE l.started_at IS NOT NULL),
        released AS (
            UPDATE {schema}.jobs j
            SET state = CASE WHEN l.cancel_requested THEN 'cancelled' ELSE 'pending' END,
                attempt = CASE WHEN l.started_at IS NULL THEN l.attempt ELSE l.attempt - 1 END,
                run_at = t.now + @delay_ms,
                finished_at = CASE WHEN l.cancel_requested THEN t.now END,
                lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            FROM locked l, t
            WHERE j.id = l.id
            RETURNING j.state)
        SELECT t.now, r.state FROM t LEFT JOIN released r ON true;
        """;

    public const string Renew = $$"""
        WITH {{Clock}},
        renewed AS (
            UPDATE {schema}.jobs j
            SET lease_expires_at = t.now + @lease_ms
            FROM t, unnest(@ids, @tokens) AS i(id, token)
            WHERE j.id = i.id AND j.lease_token = i.token AND j.state = 'running'
            RETURNING j.id, j.lease_token, j.cancel_requested)
        SELECT t.now, r.id, r.lease_token, r.cancel_requested FROM t LEFT JOIN renewed r ON true;
        """;

    // In SET every expression reads the row as it was, so "state" below is the state before the cancel.
    public const string Cancel = $$"""
        WITH {{Clock}},
        cancelled AS (
            UPDATE {schema}.jobs j
            SET state = CASE WHEN j.state = 'pending' THEN 'cancelled' ELSE j.state END,
                cancel_requested = j.cancel_requested OR j.state = 'running',
                finished_at = CASE WHEN j.state = 'pending' THEN t.now ELSE j.finished_at END
            FROM t
            WHERE j.id = @id AND j.state IN ('pending', 'running')
            RETURNING j.state, j.queue, j.type, j.attempt)
        SELECT t.now, c.state, c.queue, c.type, c.attempt, EXISTS (SELECT 1 FROM {schema}.jobs WHERE id = @id)
        FROM t LEFT JOIN cancelled c ON true;
        """;

    public const string Retry = $$"""
        WITH {{Clock}},
        before AS MATERIALIZED (
            SELECT id, queue, state FROM {schema}.jobs WHERE id = @id AND state IN ('dead', 'cancelled') FOR UPDATE),
        retried AS (
            UPDATE {schema}.jobs j
            SET state = 'pending', attempt = 0, run_at = t.now, finished_at = NULL, cancel_requested = false,
                lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
            FROM before b, t
            WHERE j.id = b.id
            RETURNING j.id)
        SELECT b.queue, b.state FROM before b JOIN retried r ON r.id = b.id;
        """;

    public const string JobQueueAndDedupKey = """
        SELECT queue, dedup_key FROM {schema}.jobs WHERE id = @id;
        """;

    public const string AddToCount = """
        INSERT INTO {schema}.counts (queue, state, n) VALUES (@queue, @state, @delta)
        ON CONFLICT (queue, state) DO UPDATE SET n = {schema}.counts.n + excluded.n;
        """;

    public const string Notify = "SELECT pg_notify(@channel, @payload);";
}
