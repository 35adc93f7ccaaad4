namespace SqliteQueue.Maintenance;

/// <summary>
/// What a host's maintenance does and how often; set with <c>ConfigureMaintenance</c>. Exactly one process per file
/// runs it at a time, under a lease kept in the file; the others stand by and take over when it stops or stalls.
/// </summary>
public sealed class MaintenanceOptions
{
    /// <summary>Whether this host runs maintenance. Turn it off to run <see cref="IQueueMaintenance"/> by hand.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>How long finished jobs are kept.</summary>
    /// <value>Completed 1 day, cancelled 7 days, dead 14 days.</value>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>How often finished jobs past their retention are pruned; the file's free pages are given back after each prune that leaves more than a tenth of them free.</summary>
    /// <value>The default is 1 minute. 1 second to 1 day.</value>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often the WAL is looked at. It is truncated to zero bytes when nothing was written since the last look,
    /// or when it is larger than <see cref="WalSizeLimitBytes"/> (if no reader still needs it); otherwise it gets a
    /// passive checkpoint, which never waits.
    /// </summary>
    /// <value>The default is 10 seconds. 100 milliseconds to 1 hour.</value>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The WAL size above which a checkpoint truncates it even while jobs flow.</summary>
    /// <value>The default is 67,108,864 (64 MiB). 1 MiB to 16 GiB.</value>
    public long WalSizeLimitBytes { get; set; } = 64L << 20;

    /// <summary>How often a quick integrity check runs, or <see langword="null"/> for never.</summary>
    /// <value>The default is 1 day. 1 minute to 365 days.</value>
    public TimeSpan? IntegrityCheckInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often a backup is written to <see cref="BackupDirectory"/>, or <see langword="null"/> for never.</summary>
    /// <value>The default is <see langword="null"/>. 1 minute to 365 days.</value>
    public TimeSpan? BackupInterval { get; set; }

    /// <summary>Where scheduled backups go, named after the queue file and the time; required when <see cref="BackupInterval"/> is set.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? BackupDirectory { get; set; }

    /// <summary>How many scheduled backups are kept; older ones are deleted after each new one.</summary>
    /// <value>The default is 7. 1 to 10,000.</value>
    public int BackupsToKeep { get; set; } = 7;

    /// <summary>
    /// How long the maintenance lease lasts without renewal: after a crash, another process takes over within this.
    /// A process that cannot renew in time stops acting on it.
    /// </summary>
    /// <value>The default is 1 minute. 5 seconds to 1 hour.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);
}
