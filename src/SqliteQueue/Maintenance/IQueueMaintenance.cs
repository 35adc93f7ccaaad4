namespace SqliteQueue.Maintenance;

/// <summary>
/// Keeps a queue file small, bounded and healthy: prunes finished jobs, checkpoints the WAL, vacuums, backs up, checks
/// integrity, reports storage, and changes jobs in bulk. Every operation works in short transactions beside running
/// workers. From dependency injection, or <see cref="SqliteJobQueue.Maintenance"/> without a host; a host runs the
/// same operations on a schedule (see <see cref="MaintenanceOptions"/>).
/// </summary>
public interface IQueueMaintenance
{
    /// <summary>
    /// Deletes finished jobs older than their state's retention, with their execution history, in short batches
    /// that each hold the write lock for a few milliseconds.
    /// </summary>
    /// <param name="retention">How long each finished state is kept, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    /// <returns>What was deleted.</returns>
    Task<PruneResult> PruneAsync(RetentionOptions? retention = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Copies the WAL back into the database file. <see cref="CheckpointMode.Passive"/> never waits; the other modes wait
    /// up to <paramref name="busyTimeout"/> for writers and readers, blocking new writers meanwhile, and then do as much
    /// as a passive one could.
    /// </summary>
    /// <param name="mode">The SQLite checkpoint mode.</param>
    /// <param name="busyTimeout">How long a mode that waits may wait, 0 to 1 minute; <see langword="null"/> for 100 milliseconds.</param>
    /// <param name="cancellationToken">Cancels before the checkpoint starts.</param>
    /// <returns>What the checkpoint did. An in-memory queue has no WAL and reports nothing done.</returns>
    Task<CheckpointResult> CheckpointAsync(CheckpointMode mode = CheckpointMode.Passive, TimeSpan? busyTimeout = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives free pages back to the file system, <paramref name="maxPages"/> at a time, in a file with
    /// incremental auto-vacuum (every file this library creates; <see cref="VacuumAsync"/> converts an older one).
    /// </summary>
    /// <param name="maxPages">The most pages to release, 1 to 1,000,000; <see langword="null"/> releases them all.</param>
    /// <param name="cancellationToken">Cancels before the vacuum starts.</param>
    /// <returns>The file before and after.</returns>
    Task<VacuumResult> IncrementalVacuumAsync(int? maxPages = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rebuilds the whole file (SQLite's <c>VACUUM</c>), and switches it to incremental auto-vacuum if it was not.
    /// It needs the file to itself while it runs, so writers in every process wait for it, and up to twice the
    /// file's size in free disk space. Run it by hand, at a quiet time.
    /// </summary>
    /// <param name="cancellationToken">Cancels before the vacuum starts.</param>
    /// <returns>The file before and after.</returns>
    Task<VacuumResult> VacuumAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a consistent copy of the database file while workers keep running: the copy is written to a temporary
    /// file beside <paramref name="destinationPath"/>, checked, flushed to disk, and only then renamed over it, so the
    /// destination is always either the previous backup or a complete new one.
    /// </summary>
    /// <param name="destinationPath">The backup file to create or replace; its directory is created if missing. Not the queue file itself.</param>
    /// <param name="cancellationToken">Cancels before the copy starts.</param>
    /// <returns>The backup written.</returns>
    Task<BackupResult> BackupAsync(string destinationPath, CancellationToken cancellationToken = default);

    /// <summary>Checks the file's structure and records the result (see <see cref="StorageInfo.LastRuns"/>).</summary>
    /// <param name="level">A quick check, or a full one that also checks indexes against tables and foreign keys.</param>
    /// <param name="cancellationToken">Cancels before the check starts.</param>
    /// <returns>What the check found.</returns>
    Task<IntegrityResult> CheckIntegrityAsync(IntegrityLevel level = IntegrityLevel.Quick, CancellationToken cancellationToken = default);

    /// <summary>Reads the file's size, its WAL's size, its page counts and the last run of each maintenance task.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The storage information.</returns>
    Task<StorageInfo> GetStorageInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>Puts every dead or cancelled job that matches <paramref name="filter"/> back to pending, as <see cref="IQueueClient.RetryAsync"/> does one.</summary>
    /// <param name="filter">Which jobs; its state must be <see cref="JobState.Dead"/> or <see cref="JobState.Cancelled"/>.</param>
    /// <param name="cancellationToken">Stops between batches; what was retried stays retried.</param>
    /// <returns>How many jobs were retried. A job whose deduplication key a live job holds now is left as it is.</returns>
    Task<long> RetryJobsAsync(JobFilter filter, CancellationToken cancellationToken = default);

    /// <summary>Deletes jobs by id, with their execution history. Running jobs are left alone: cancel them first.</summary>
    /// <param name="jobIds">The ids, each greater than zero; at most 1,000,000.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    /// <returns>How many jobs were deleted.</returns>
    Task<long> DeleteJobsAsync(IEnumerable<long> jobIds, CancellationToken cancellationToken = default);

    /// <summary>Deletes every job that matches <paramref name="filter"/>, with its execution history, in short batches.</summary>
    /// <param name="filter">Which jobs; its state may be anything but <see cref="JobState.Running"/>.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    /// <returns>How many jobs were deleted.</returns>
    Task<long> DeleteJobsAsync(JobFilter filter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Counts the jobs that match <paramref name="filter"/>, by the same rules <see cref="RetryJobsAsync"/> and
    /// <see cref="DeleteJobsAsync(JobFilter, CancellationToken)"/> apply: say how many jobs a bulk change would touch
    /// before making it. Changes nothing. Pending, running, dead and cancelled jobs are counted through their own
    /// indexes; counting completed jobs reads the whole history.
    /// </summary>
    /// <param name="filter">Which jobs; its state may be anything.</param>
    /// <param name="cancellationToken">Cancels before the count starts.</param>
    /// <returns>
    /// How many jobs match now. Workers and other processes keep changing jobs, so a bulk change made afterwards may
    /// touch a different number; a retry also skips jobs whose deduplication key a live job holds.
    /// </returns>
    Task<long> CountJobsAsync(JobFilter filter, CancellationToken cancellationToken = default);

    /// <summary>Empties a queue: deletes its pending and finished jobs and asks the workers of its running ones to stop.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    /// <returns>What was done.</returns>
    Task<PurgeResult> PurgeQueueAsync(string queue, CancellationToken cancellationToken = default);
}
