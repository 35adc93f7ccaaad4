namespace SqliteQueue.Maintenance;

/// <summary>What a prune deleted.</summary>
/// <param name="Completed">Completed jobs deleted.</param>
/// <param name="Cancelled">Cancelled jobs deleted.</param>
/// <param name="Dead">Dead jobs deleted.</param>
/// <param name="Batches">Write transactions that deleted jobs (the throughput series' prune, one short write more, is not counted).</param>
/// <param name="LongestBatch">The longest time one of them held the write lock.</param>
/// <param name="Duration">The whole prune.</param>
public sealed record PruneResult(long Completed, long Cancelled, long Dead, int Batches, TimeSpan LongestBatch, TimeSpan Duration)
{
    /// <summary>Every job deleted.</summary>
    public long Total => Completed + Cancelled + Dead;
}

/// <summary>What a checkpoint did, as SQLite reports it.</summary>
/// <param name="Mode">The mode it ran in.</param>
/// <param name="Busy">Whether it could not finish: a reader still uses part of the WAL, or another connection held the lock.</param>
/// <param name="LogFrames">Frames in the WAL when it ran.</param>
/// <param name="CheckpointedFrames">Frames copied back into the database file.</param>
/// <param name="WalBytesAfter">The WAL file's size afterwards.</param>
/// <param name="Duration">How long it took.</param>
public sealed record CheckpointResult(CheckpointMode Mode, bool Busy, long LogFrames, long CheckpointedFrames, long WalBytesAfter, TimeSpan Duration);

/// <summary>The file before and after a vacuum.</summary>
/// <param name="PagesBefore">Pages in the file before.</param>
/// <param name="PagesAfter">Pages in the file after.</param>
/// <param name="FreePagesBefore">Unused pages before.</param>
/// <param name="FreePagesAfter">Unused pages after.</param>
/// <param name="PageSize">Bytes per page.</param>
/// <param name="Duration">How long it took.</param>
public sealed record VacuumResult(long PagesBefore, long PagesAfter, long FreePagesBefore, long FreePagesAfter, int PageSize, TimeSpan Duration)
{
    /// <summary>Bytes given back to the file system.</summary>
    public long BytesReleased => (PagesBefore - PagesAfter) * PageSize;
}

/// <summary>A backup written.</summary>
/// <param name="Path">The backup file's full path.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Duration">How long the copy, check and rename took.</param>
public sealed record BackupResult(string Path, long Bytes, TimeSpan Duration);

/// <summary>What an integrity check found.</summary>
/// <param name="Level">The check that ran.</param>
/// <param name="Ok">Whether the file is sound.</param>
/// <param name="Problems">SQLite's descriptions of what is wrong, at most 100; empty when <paramref name="Ok"/>.</param>
/// <param name="CheckedAt">When it ran.</param>
/// <param name="Duration">How long it took.</param>
public sealed record IntegrityResult(IntegrityLevel Level, bool Ok, IReadOnlyList<string> Problems, DateTimeOffset CheckedAt, TimeSpan Duration);

/// <summary>What a purge did.</summary>
/// <param name="Deleted">Pending and finished jobs deleted.</param>
/// <param name="CancellationRequested">Running jobs whose workers were asked to stop.</param>
public sealed record PurgeResult(long Deleted, long CancellationRequested);

/// <summary>The queue file on disk.</summary>
/// <param name="Path">The database file, or <see langword="null"/> for an in-memory queue.</param>
/// <param name="FileBytes">The database file's size.</param>
/// <param name="WalBytes">The WAL file's size (0 when it does not exist).</param>
/// <param name="PageSize">Bytes per page.</param>
/// <param name="PageCount">Pages in the database.</param>
/// <param name="FreePages">Unused pages, which a vacuum gives back.</param>
/// <param name="AutoVacuum">Whether free pages can be given back without a full vacuum.</param>
/// <param name="LastCheckpoint">The last checkpoint this process's maintenance ran, or <see langword="null"/>.</param>
/// <param name="LastRuns">The last run of each maintenance task recorded in the file, by any process.</param>
public sealed record StorageInfo(
    string? Path, long FileBytes, long WalBytes, int PageSize, long PageCount, long FreePages, AutoVacuumMode AutoVacuum,
    CheckpointResult? LastCheckpoint, IReadOnlyList<MaintenanceRun> LastRuns);

/// <summary>The last run of one maintenance task.</summary>
/// <param name="Task">The task: <c>prune</c>, <c>vacuum</c>, <c>backup</c> or <c>integrity</c>.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="Succeeded">Whether it succeeded (for an integrity check: whether the file is sound).</param>
/// <param name="Summary">What it did or what went wrong, in a line.</param>
/// <param name="Owner">The process that ran it.</param>
public sealed record MaintenanceRun(string Task, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, bool Succeeded, string Summary, string Owner);
