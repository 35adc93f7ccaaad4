namespace SqliteQueue.Monitoring;

/// <summary>
/// The names of the figures in <see cref="QueueHealthReport.Data"/> and of <see cref="QueueHealthProblem.Figure"/>.
/// A per-queue figure is the name followed by <c>:</c> and the queue name.
/// </summary>
public static class QueueHealthFigures
{
    /// <summary>Whether the file could be opened and read (<see cref="bool"/>).</summary>
    public const string StoreReachable = "store.reachable";

    /// <summary>Why it could not, when it could not (<see cref="string"/>).</summary>
    public const string StoreError = "store.error";

    /// <summary>The schema version of the file's queue tables (<see cref="long"/>; SQLite's <c>user_version</c> when newer than this library).</summary>
    public const string SchemaVersion = "store.schema_version";

    /// <summary>The schema version this library writes (<see cref="long"/>).</summary>
    public const string SchemaVersionExpected = "store.schema_version_expected";

    /// <summary>Pending jobs whose time has come, in all queues (<see cref="long"/>).</summary>
    public const string RunnableJobs = "jobs.runnable";

    /// <summary>
    /// How long the oldest runnable job has waited, in seconds (<see cref="double"/>): the largest over all queues, 0
    /// when none is runnable; with <c>:{queue}</c>, one per queue that has a runnable job.
    /// </summary>
    public const string OldestRunnableAge = "jobs.oldest_runnable_age_seconds";

    /// <summary>Jobs that died in the last hour (<see cref="long"/>).</summary>
    public const string DeadLastHour = "jobs.dead_last_hour";

    /// <summary>Live hosted worker groups in all processes on the file (<see cref="long"/>).</summary>
    public const string LiveWorkers = "workers.live";

    /// <summary>The database file's size in bytes (<see cref="long"/>; 0 for an in-memory queue).</summary>
    public const string FileBytes = "storage.file_bytes";

    /// <summary>The WAL file's size in bytes (<see cref="long"/>; 0 when there is none).</summary>
    public const string WalBytes = "storage.wal_bytes";

    /// <summary>The last integrity check's result (<see cref="string"/>): <c>ok</c>, <c>failed</c> or <c>never</c>.</summary>
    public const string IntegrityCheck = "maintenance.integrity_check";

    /// <summary>Seconds since the last integrity check finished (<see cref="double"/>); absent when none is recorded.</summary>
    public const string IntegrityCheckAge = "maintenance.integrity_check_age_seconds";

    /// <summary>Seconds since maintenance last pruned the file (<see cref="double"/>); absent when no prune is recorded.</summary>
    public const string MaintenanceAge = "maintenance.prune_age_seconds";

    /// <summary>Recurring schedules that are broken (<see cref="long"/>).</summary>
    public const string BrokenRecurringJobs = "recurring.broken";

    /// <summary>Their names, comma-separated (<see cref="string"/>; empty when none).</summary>
    public const string BrokenRecurringNames = "recurring.broken_names";
}
