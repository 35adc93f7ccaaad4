namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// Maintenance's statements. Bulk changes work on a window of ids at a time (<c>id &gt; @from AND id &lt;= @to</c>): a
/// range of the primary key, so each transaction touches a bounded number of rows whatever the filter, and no index
/// is needed over finished jobs.
/// </summary>
internal static partial class PgSql
{
    public const string IdBounds = """
        SELECT min(id), max(id) FROM {schema}.jobs;
        """;

    // Ids grow with creation time, so once the window's next job was created after every cutoff, nothing after it
    // can have finished before one: a prune stops there instead of reading the rest of the history.
    public const string CreatedAtAfter = """
        SELECT created_at FROM {schema}.jobs WHERE id > @id ORDER BY id LIMIT 1;
        """;

    // Executions go with their jobs (ON DELETE CASCADE), and the finished counts with the delete trigger.
    public const string PruneWindow = """
        DELETE FROM {schema}.jobs
        WHERE id > @from AND id <= @to
          AND ((state = 'completed' AND finished_at <= @completed_before)
            OR (state = 'cancelled' AND finished_at <= @cancelled_before)
            OR (state = 'dead' AND finished_at <= @dead_before))
        RETURNING state;
        """;

    public const string PruneThroughput = """
        DELETE FROM {schema}.throughput WHERE minute < @before_minute;
        """;

    // What a JobFilter matches besides its state: shared by the bulk changes and the counts, so a count always says
    // how many jobs the change with the same filter would touch.
    private const string FilterMatch =
        "(@queue IS NULL OR queue = @queue) AND (@type IS NULL OR type = @type) "
        + "AND (@before IS NULL OR coalesce(finished_at, created_at) < @before)";

    private const string FilterWindow = $"id > @from AND id <= @to AND state = @state AND {FilterMatch}";

    // Running jobs belong to their workers' leases; the logic never asks to delete them, and the store never does.
    public const string DeleteWindow = $$"""
        DELETE FROM {schema}.jobs WHERE {{FilterWindow}} AND state <> 'running';
        """;

    // A job whose deduplication key a live job holds stays where it is (the unique index allows one live job per
    // key), and of several retried with one key only the first becomes live. The rows are locked in id order, so two
    // windows over the same ids cannot deadlock.
    public const string RetryWindow = $$"""
        WITH {{Clock}},
        candidates AS MATERIALIZED (
            SELECT id, queue, dedup_key FROM {schema}.jobs
            WHERE {{FilterWindow}}
            ORDER BY id
            FOR UPDATE),
        chosen AS (
            SELECT c.id FROM candidates c
            WHERE c.dedup_key IS NULL
               OR (NOT EXISTS (SELECT 1 FROM {schema}.jobs l
                               WHERE l.queue = c.queue AND l.dedup_key = c.dedup_key AND l.state IN ('pending', 'running'))
                   AND c.id = (SELECT min(o.id) FROM candidates o WHERE o.queue = c.queue AND o.dedup_key = c.dedup_key)))
        UPDATE {schema}.jobs j
        SET state = 'pending', attempt = 0, run_at = t.now, finished_at = NULL, cancel_requested = false,
            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        FROM chosen c, t
        WHERE j.id = c.id
        RETURNING j.queue;
        """;

    // One count per state, with the state written into the statement, so pending, running, dead and cancelled jobs
    // are counted through their own partial indexes rather than the whole history. Completed jobs have no index of
    // their own (they are most of the rows), so counting them reads the table.
    public const string CountPendingJobs = $"SELECT count(*) FROM {{schema}}.jobs WHERE state = 'pending' AND {FilterMatch};";

    public const string CountRunningJobs = $"SELECT count(*) FROM {{schema}}.jobs WHERE state = 'running' AND {FilterMatch};";

    public const string CountCompletedJobs = $"SELECT count(*) FROM {{schema}}.jobs WHERE state = 'completed' AND {FilterMatch};";

    public const string CountDeadJobs = $"SELECT count(*) FROM {{schema}}.jobs WHERE state = 'dead' AND {FilterMatch};";

    // With an age, dead jobs are found by the time they died, a range of jobs_dead_finished. A dead job always has a
    // finish time, so the filter's coalesce is that time.
    public const string CountDeadJobsBefore = """
        SELECT count(*) FROM {schema}.jobs
        WHERE state = 'dead' AND finished_at < @before AND (@queue IS NULL OR queue = @queue) AND (@type IS NULL OR type = @type);
        """;

    public const string CountCancelledJobs = $"SELECT count(*) FROM {{schema}}.jobs WHERE state = 'cancelled' AND {FilterMatch};";

    public const string DeleteByIds = """
        DELETE FROM {schema}.jobs WHERE id = ANY(@ids) AND state <> 'running';
        """;

    // Workers see the request at their next lease renewal, in whichever process they run.
    public const string CancelRunningInQueue = """
        UPDATE {schema}.jobs SET cancel_requested = true
        WHERE state = 'running' AND queue = @queue AND NOT cancel_requested
        RETURNING id;
        """;

    // ---- the lease: a compare-and-set on one row, decided by the row lock the statement takes ----

    // Taken when free or expired; a new holder gets the next term, which is what fences the old one out. Two
    // processes racing for a free lease serialize on the row (or on the primary key for the first insert), and the
    // loser's WHERE sees the winner's unexpired row and returns nothing.
    public const string AcquireLease = $$"""
        WITH {{Clock}}
        INSERT INTO {schema}.leases AS l (name, owner, term, acquired_at, expires_at)
        SELECT @name, @owner, 1, t.now, t.now + @duration_ms FROM t
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, term = l.term + 1, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
        WHERE l.expires_at < excluded.acquired_at
        RETURNING l.term;
        """;

    public const string RenewLease = $$"""
        WITH {{Clock}}
        UPDATE {schema}.leases l SET expires_at = t.now + @duration_ms
        FROM t
        WHERE l.name = @name AND l.owner = @owner AND l.term = @term AND l.expires_at >= t.now;
        """;

    public const string ReleaseLease = """
        UPDATE {schema}.leases SET expires_at = 0 WHERE name = @name AND owner = @owner AND term = @term;
        """;

    // ---- runs ----

    public const string RecordRun = $$"""
        WITH {{Clock}}
        INSERT INTO {schema}.maintenance_runs (task, started_at, finished_at, ok, summary, owner)
        SELECT @task, @started_at, t.now, @ok, @summary, @owner FROM t
        ON CONFLICT (task) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
            ok = excluded.ok, summary = excluded.summary, owner = excluded.owner;
        """;

    public const string ListRuns = """
        SELECT task, started_at, finished_at, ok, summary, owner FROM {schema}.maintenance_runs ORDER BY task;
        """;
}
