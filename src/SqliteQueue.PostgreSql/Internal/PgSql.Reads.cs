namespace SqliteQueue.PostgreSql.Internal;

/// <summary>The store's reads. Every parameter is bound with its type, so "@x IS NULL" filters need no casts.</summary>
internal static partial class PgSql
{
    private const string JobColumns =
        "id, queue, type, payload, priority, state, run_at, attempt, max_attempts, timeout_ms, dedup_key, lease_owner, "
        + "lease_expires_at, cancel_requested, last_error, created_at, started_at, finished_at, recurring_name, occurrence_at";

    private const string SelectJob = "SELECT " + JobColumns + " FROM {schema}.jobs ";

    // One page of a listing: ids in the window, optionally one queue, one type, a creation window (after inclusive,
    // before exclusive) and a text the payload contains (strpos: case-sensitive, no LIKE wildcards to escape).
    private const string PageFilter =
        "id > @after_id AND id < coalesce(@before_id, 9223372036854775807) AND (@queue IS NULL OR queue = @queue) AND (@type IS NULL OR type = @type) "
        + "AND (@created_after IS NULL OR created_at >= @created_after) AND (@created_before IS NULL OR created_at < @created_before) "
        + "AND (@payload_contains IS NULL OR strpos(payload, @payload_contains) > 0) ";

    private const string Oldest = PageFilter + "ORDER BY id LIMIT @limit;";

    private const string Newest = PageFilter + "ORDER BY id DESC LIMIT @limit;";

    public const string GetJob = SelectJob + "WHERE id = @id;";

    public const string GetExecutions = """
        SELECT job_id, attempt, worker_id, started_at, finished_at, outcome, error
        FROM {schema}.executions WHERE job_id = @id ORDER BY id;
        """;

    // One statement per state: a partial index serves a query only when the state is written into it.
    public const string ListJobs = SelectJob + "WHERE " + Oldest;
    public const string ListPendingJobs = SelectJob + "WHERE state = 'pending' AND " + Oldest;
    public const string ListRunningJobs = SelectJob + "WHERE state = 'running' AND " + Oldest;
    public const string ListCompletedJobs = SelectJob + "WHERE state = 'completed' AND " + Oldest;
    public const string ListDeadJobs = SelectJob + "WHERE state = 'dead' AND " + Oldest;
    public const string ListCancelledJobs = SelectJob + "WHERE state = 'cancelled' AND " + Oldest;
    public const string ListJobsNewest = SelectJob + "WHERE " + Newest;
    public const string ListPendingJobsNewest = SelectJob + "WHERE state = 'pending' AND " + Newest;
    public const string ListRunningJobsNewest = SelectJob + "WHERE state = 'running' AND " + Newest;
    public const string ListCompletedJobsNewest = SelectJob + "WHERE state = 'completed' AND " + Newest;
    public const string ListDeadJobsNewest = SelectJob + "WHERE state = 'dead' AND " + Newest;
    public const string ListCancelledJobsNewest = SelectJob + "WHERE state = 'cancelled' AND " + Newest;

    // Pending and running jobs are counted through their partial indexes; finished ones come from the counts table.
    public const string CountByQueueAndState = """
        SELECT queue, 'pending', count(*) FROM {schema}.jobs WHERE state = 'pending' GROUP BY queue
        UNION ALL
        SELECT queue, 'running', count(*) FROM {schema}.jobs WHERE state = 'running' GROUP BY queue
        UNION ALL
        SELECT queue, state, n FROM {schema}.counts WHERE n > 0;
        """;

    public const string RunnableByQueue = $$"""
        WITH {{Clock}}
        SELECT j.queue, count(*), min(j.run_at), (SELECT now FROM t)
        FROM {schema}.jobs j
        WHERE j.state = 'pending' AND j.run_at <= (SELECT now FROM t)
        GROUP BY j.queue;
        """;

    public const string DatabaseNow = "SELECT " + Now + ";";

    public const string NextRunAt = """
        SELECT min(run_at) FROM {schema}.jobs WHERE state = 'pending' AND queue = ANY(@queues);
        """;

    public const string NextLeaseExpiry = """
        SELECT min(lease_expires_at) FROM {schema}.jobs WHERE state = 'running';
        """;

    public const string IsActive = """
        SELECT EXISTS (SELECT 1 FROM {schema}.jobs WHERE id = @id AND state IN ('pending', 'running'));
        """;

    public const string CountActive = """
        SELECT (SELECT count(*) FROM {schema}.jobs WHERE state = 'pending' AND (@queue IS NULL OR queue = @queue))
             + (SELECT count(*) FROM {schema}.jobs WHERE state = 'running' AND (@queue IS NULL OR queue = @queue));
        """;

    public const string ListActiveIds = """
        SELECT id FROM (
            SELECT id FROM {schema}.jobs WHERE state = 'pending' AND (@queue IS NULL OR queue = @queue)
            UNION ALL
            SELECT id FROM {schema}.jobs WHERE state = 'running' AND (@queue IS NULL OR queue = @queue)) AS live
        ORDER BY id
        LIMIT @limit;
        """;

    public const string AnyLive = """
        SELECT EXISTS (SELECT 1 FROM {schema}.jobs WHERE state = 'pending' AND (@queue IS NULL OR queue = @queue))
            OR EXISTS (SELECT 1 FROM {schema}.jobs WHERE state = 'running' AND (@queue IS NULL OR queue = @queue));
        """;
}
