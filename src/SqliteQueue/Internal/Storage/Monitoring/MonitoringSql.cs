namespace SqliteQueue.Internal.Storage.Monitoring;

/// <summary>
/// The worker registry's and the health check's statements, one named constant each, rendered per store like
/// <see cref="JobSql"/>. The workers table holds a row per running worker group, so reading or sweeping it whole is
/// cheap; every read of the jobs table here goes through an index.
/// </summary>
internal static class MonitoringSql
{
    // A beat writes the whole row, so a row swept away while this process stalled (past its own expiry) comes back
    // at the next beat instead of the worker vanishing from listings for good. started_at is kept from the first write.
    public const string UpsertWorker = """
        INSERT INTO {prefix}workers (id, host, process_id, queues, concurrency, started_at, heartbeat_at, expires_at)
        VALUES (@id, @host, @process_id, @queues, @concurrency, @started_at, @now, @expires_at)
        ON CONFLICT (id) DO UPDATE SET host = excluded.host, process_id = excluded.process_id, queues = excluded.queues,
            concurrency = excluded.concurrency, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at;
        """;

    // Rows of processes that died without a graceful stop; the returned ids are logged, so a crash leaves a trace.
    public const string DeleteExpiredWorkers = """
        DELETE FROM {prefix}workers WHERE expires_at < @now
        RETURNING id AS Id, host AS Host, process_id AS ProcessId;
        """;

    public const string DeleteWorker = """
        DELETE FROM {prefix}workers WHERE id = @id;
        """;

    public const string ListLiveWorkers = """
        SELECT id AS Id, host AS Host, process_id AS ProcessId, queues AS Queues, concurrency AS Concurrency,
               started_at AS StartedAt, heartbeat_at AS HeartbeatAt, expires_at AS ExpiresAt
        FROM {prefix}workers WHERE expires_at >= @now ORDER BY id;
        """;

    // Served by the partial index jobs_dead (WHERE state = 'dead'): only dead jobs are read, never the whole table.
    // No index orders dead jobs by finished_at (ids follow creation, and a job may die long after it was created), so
    // the cost is the dead jobs kept, which retention bounds (14 days by default).
    public const string DeadSince = """
        SELECT COUNT(*) FROM {prefix}jobs INDEXED BY {prefix}jobs_dead_finished WHERE state = 'dead' AND finished_at >= @since;
        """;

    // The schedules table holds one row per schedule, a few at most hundreds.
    public const string BrokenRecurring = """
        SELECT name FROM {prefix}recurring WHERE state = 'broken' ORDER BY name;
        """;

    // A range of the throughput table's primary key (minute, outcome): the rows of the minutes asked for, at most four
    // per minute, whatever the depth of the history. Released attempts are left out (they spent nothing).
    public const string ThroughputSince = """
        SELECT minute AS Minute, outcome AS Outcome, n AS N FROM {prefix}throughput
        WHERE minute >= @from_minute AND minute <= @to_minute AND outcome <> 'released';
        """;
}
