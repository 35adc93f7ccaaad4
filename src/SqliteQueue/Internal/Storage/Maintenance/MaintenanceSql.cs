namespace SqliteQueue.Internal.Storage.Maintenance;

/// <summary>
/// The maintenance statements, one named constant each, rendered per store like <see cref="JobSql"/>. Bulk changes
/// work on a window of ids at a time (<c>id &gt; @from AND id &lt;= @to</c>): a range of the table's own b-tree, so each
/// transaction touches a bounded number of rows whatever the filter, and no index is needed over finished jobs.
/// </summary>
internal static class MaintenanceSql
{
    public const string IdBounds = """
        SELECT MIN(id) AS Min, MAX(id) AS Max FROM {prefix}jobs;
        """;

    // Ids grow with creation time, so once the window's next job was created after every cutoff, nothing after it
    // can have finished before one: a prune stops there instead of reading the rest of the history.
    public const string CreatedAtAfter = """
        SELECT created_at FROM {prefix}jobs WHERE id > @id ORDER BY id LIMIT 1;
        """;

    // Executions go with their jobs (ON DELETE CASCADE; the writer has foreign keys on), and the counts with the triggers.
    public const string PruneWindow = """
        DELETE FROM {prefix}jobs
        WHERE id > @from AND id <= @to
          AND ((state = 'completed' AND finished_at <= @completed_before)
            OR (state = 'cancelled' AND finished_at <= @cancelled_before)
            OR (state = 'dead' AND finished_at <= @dead_before))
        RETURNING state;
        """;

    // The throughput series is kept as long as the longest retention (at least 14 days): one range of its primary key.
    public const string PruneThroughput = """
        DELETE FROM {prefix}throughput WHERE minute < @before_minute;
        """;

    // What a JobFilter matches besides its state: shared by the bulk changes and the counts, so a count always says
    // how many jobs the change with the same filter would touch.
    private const string FilterMatch =
        "(@queue IS NULL OR queue = @queue) AND (@type IS NULL OR type = @type) "
        + "AND (@before IS NULL OR COALESCE(finished_at, created_at) < @before)";

    private const string FilterWindow = $"id > @from AND id <= @to AND state = @state AND {FilterMatch}";

    public const string DeleteWindow = $$"""
        DELETE FROM {prefix}jobs WHERE {{FilterWindow}};
        """;

    // A job whose deduplication key a live job holds now would break the unique index: OR IGNORE leaves it dead.
    public const string RetryWindow = $$"""
        UPDATE OR IGNORE {prefix}jobs
        SET state = 'pending', attempt = 0, run_at = @now, finished_at = NULL, cancel_requested = 0,
            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE {{FilterWindow}}
        RETURNING queue;
        """;

    // One count per state: a partial index is only usable when the state is written into the statement, so pending,
    // running, dead and cancelled jobs are counted by walking their own index rather than the whole history. Completed
    // jobs have no index of their own (they are most of the rows), so counting them reads the table.
    public const string CountPendingJobs = $$"""
        SELECT COUNT(*) FROM {prefix}jobs INDEXED BY {prefix}jobs_pending_fifo WHERE state = 'pending' AND {{FilterMatch}};
        """;

    public const string CountRunningJobs = $$"""
        SELECT COUNT(*) FROM {prefix}jobs INDEXED BY {prefix}jobs_running_lease WHERE state = 'running' AND {{FilterMatch}};
        """;

    public const string CountCompletedJobs = $$"""
        SELECT COUNT(*) FROM {prefix}jobs WHERE state = 'completed' AND {{FilterMatch}};
        """;

    public const string CountDeadJobs = $$"""
        SELECT COUNT(*) FROM {prefix}jobs INDEXED BY {prefix}jobs_dead WHERE state = 'dead' AND {{FilterMatch}};
        """;

    // With an age, dead jobs are found by the time they died: a range of that index, not a lookup of every dead row.
    // A dead job always has a finish time, so the filter's COALESCE is that time.
    public const string CountDeadJobsBefore = """
        SELECT COUNT(*) FROM {prefix}jobs INDEXED BY {prefix}jobs_dead_finished
        WHERE state = 'dead' AND finished_at < @before AND (@queue IS NULL OR queue = @queue) AND (@type IS NULL OR type = @type);
        """;

    public const string CountCancelledJobs = $$"""
        SELECT COUNT(*) FROM {prefix}jobs INDEXED BY {prefix}jobs_cancelled WHERE state = 'cancelled' AND {{FilterMatch}};
        """;

    public const string DeleteByIds = """
        DELETE FROM {prefix}jobs WHERE id IN (SELECT value FROM json_each(@ids)) AND state <> 'running';
        """;

    public const string CancelRunningInQueue = """
        UPDATE {prefix}jobs SET cancel_requested = 1
        WHERE state = 'running' AND queue = @queue AND cancel_requested = 0
        RETURNING id;
        """;

    // ---- the lease ----

    // Taken when free or expired; a new holder gets the next term, which is what fences the old one out.
    public const string AcquireLease = """
        INSERT INTO {prefix}leases (name, owner, term, acquired_at, expires_at) VALUES (@name, @owner, 1, @now, @until)
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, term = term + 1, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
        WHERE expires_at < @now
        RETURNING term;
        """;

    public const string RenewLease = """
        UPDATE {prefix}leases SET expires_at = @until
        WHERE name = @name AND owner = @owner AND term = @term AND expires_at >= @now;
        """;

    public const string ReleaseLease = """
        UPDATE {prefix}leases SET expires_at = 0 WHERE name = @name AND owner = @owner AND term = @term;
        """;

    public const string GetLease = """
        SELECT owner AS Owner, term AS Term, acquired_at AS AcquiredAt, expires_at AS ExpiresAt FROM {prefix}leases WHERE name = @name;
        """;

    // ---- runs ----

    public const string RecordRun = """
        INSERT INTO {prefix}maintenance_runs (task, started_at, finished_at, ok, summary, owner)
        VALUES (@task, @started_at, @finished_at, @ok, @summary, @owner)
        ON CONFLICT (task) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
            ok = excluded.ok, summary = excluded.summary, owner = excluded.owner;
        """;

    public const string ListRuns = """
        SELECT task AS Task, started_at AS StartedAt, finished_at AS FinishedAt, ok AS Ok, summary AS Summary, owner AS Owner
        FROM {prefix}maintenance_runs ORDER BY task;
        """;
}
