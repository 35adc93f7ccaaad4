using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// The public maintenance operations: input checked here, work done by the task classes beside this one. The
/// operations on jobs and the run records work on any <see cref="IMaintenanceStore"/>; the ones on the database file
/// (checkpoints, vacuums, backups, integrity checks, storage information) need the SQLite store as
/// <paramref name="files"/>, and throw <see cref="NotSupportedException"/> without it.
/// </summary>
internal sealed class QueueMaintenance(IMaintenanceStore store, JobStore? files) : IQueueMaintenance
{
    private static readonly TimeSpan MaxRetention = TimeSpan.FromDays(3650);
    private static readonly TimeSpan MaxBusyTimeout = TimeSpan.FromMinutes(1);
    private CheckpointResult? _lastCheckpoint;

    /// <summary>The SQLite store whose file the file operations work on; null on a server database.</summary>
    public JobStore? Files => files;

    /// <summary>The last checkpoint the maintenance policy of this process ran, shown in <see cref="StorageInfo"/>.</summary>
    public CheckpointResult? LastCheckpoint
    {
        get => Volatile.Read(ref _lastCheckpoint);
        set => Volatile.Write(ref _lastCheckpoint, value);
    }

    public async Task<PruneResult> PruneAsync(RetentionOptions? retention = null, CancellationToken cancellationToken = default)
    {
        retention ??= new RetentionOptions();
        ValidateRetention(retention, nameof(retention));
        return await RecordedAsync(MaintenanceRuns.Prune, MaintenanceRuns.ByHand, () => Pruner.PruneAsync(store, retention, fence: null, cancellationToken),
            r => (true, Describe(r)), cancellationToken).ConfigureAwait(false);
    }

    public Task<CheckpointResult> CheckpointAsync(CheckpointMode mode = CheckpointMode.Passive, TimeSpan? busyTimeout = null, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown checkpoint mode.");
        }

        if (busyTimeout is { } timeout)
        {
            Guard.InRange(timeout, TimeSpan.Zero, MaxBusyTimeout, nameof(busyTimeout));
        }

        return Checkpoints.RunAsync(FileStore("Checkpointing", "the server's own write-ahead log settings"), mode, busyTimeout ?? Checkpoints.DefaultBusyTimeout, cancellationToken);
    }

    public async Task<VacuumResult> IncrementalVacuumAsync(int? maxPages = null, CancellationToken cancellationToken = default)
    {
        if (maxPages is { } max)
        {
            Guard.InRange(max, 1, 1_000_000, nameof(maxPages));
        }

        var file = FileStore("An incremental vacuum", "the server's own VACUUM (autovacuum on PostgreSQL)");
        return await RecordedAsync(MaintenanceRuns.Vacuum, MaintenanceRuns.ByHand, () => FileCare.IncrementalVacuumAsync(file, maxPages, fence: null, cancellationToken),
            r => (true, Describe(r, "incremental")), cancellationToken).ConfigureAwait(false);
    }

    public Task<VacuumResult> VacuumAsync(CancellationToken cancellationToken = default)
    {
        var file = FileStore("A vacuum", "the server's own VACUUM (VACUUM FULL on PostgreSQL)");
        return RecordedAsync(MaintenanceRuns.Vacuum, MaintenanceRuns.ByHand, () => FileCare.VacuumAsync(file, cancellationToken),
            r => (true, Describe(r, "full")), cancellationToken);
    }

    public async Task<BackupResult> BackupAsync(string destinationPath, CancellationToken cancellationToken = default)
    {
        ValidatePath(destinationPath, nameof(destinationPath));
        var file = FileStore("A backup", "the server's own backup tools (pg_dump or pg_basebackup on PostgreSQL)");
        return await RecordedAsync(MaintenanceRuns.Backup, MaintenanceRuns.ByHand, () => Backups.BackupAsync(file, destinationPath, cancellationToken),
            r => (true, Describe(r)), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IntegrityResult> CheckIntegrityAsync(IntegrityLevel level = IntegrityLevel.Quick, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(level))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown integrity level.");
        }

        var file = FileStore("An integrity check", "the server's own checks (amcheck on PostgreSQL)");
        return await RecordedAsync(MaintenanceRuns.Integrity, MaintenanceRuns.ByHand, () => FileCare.CheckIntegrityAsync(file, level, cancellationToken),
            r => (r.Ok, Describe(r)), cancellationToken).ConfigureAwait(false);
    }

    public Task<StorageInfo> GetStorageInfoAsync(CancellationToken cancellationToken = default) =>
        FileCare.GetStorageInfoAsync(FileStore("Storage information", "the server's own statistics views"), LastCheckpoint, cancellationToken);

    public Task<long> RetryJobsAsync(JobFilter filter, CancellationToken cancellationToken = default)
    {
        ValidateFilter(filter, nameof(filter));
        if (filter.State is not (JobState.Dead or JobState.Cancelled))
        {
            throw new ArgumentException($"Only dead or cancelled jobs can be retried, not {filter.State}.", $"{nameof(filter)}.{nameof(JobFilter.State)}");
        }

        return BulkJobs.RetryAsync(store, filter, cancellationToken);
    }

    public Task<long> DeleteJobsAsync(IEnumerable<long> jobIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        var ids = new List<long>();
        foreach (var id in jobIds)
        {
            if (id <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(jobIds), id, "Every job id must be greater than zero.");
            }

            if (ids.Count == BulkJobs.MaxIds)
            {
                throw new ArgumentOutOfRangeException(nameof(jobIds), ids.Count + 1, $"At most {BulkJobs.MaxIds} ids can be deleted in one call.");
            }

            ids.Add(id);
        }

        return BulkJobs.DeleteAsync(store, ids, cancellationToken);
    }

    public Task<long> DeleteJobsAsync(JobFilter filter, CancellationToken cancellationToken = default)
    {
        ValidateFilter(filter, nameof(filter));
        if (filter.State == JobState.Running)
        {
            throw new ArgumentException("Running jobs cannot be deleted; cancel them first.", $"{nameof(filter)}.{nameof(JobFilter.State)}");
        }

        return BulkJobs.DeleteAsync(store, filter, cancellationToken);
    }

    public Task<long> CountJobsAsync(JobFilter filter, CancellationToken cancellationToken = default)
    {
        // Any state: a count changes nothing, and running jobs are worth counting before a purge.
        ValidateFilter(filter, nameof(filter));
        return BulkJobs.CountAsync(store, filter, cancellationToken);
    }

    public Task<PurgeResult> PurgeQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        Guard.Name(queue, "queue name", nameof(queue));
        return BulkJobs.PurgeAsync(store, queue, cancellationToken);
    }

    /// <summary>
    /// Runs one task and records its last run in the file, failed runs included (a failure to record a failure is not
    /// allowed to hide the failure itself). A task fenced out by a lost lease records nothing: the file is the new
    /// holder's to write.
    /// </summary>
    public async Task<T> RecordedAsync<T>(string task, string owner, Func<Task<T>> work, Func<T, (bool Ok, string Summary)> describe, CancellationToken cancellationToken)
    {
        var started = store.Time.GetUtcNow();
        T result;
        try
        {
            result = await work().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ArgumentException and not ObjectDisposedException and not MaintenanceLeaseLostException)
        {
            try
            {
                await MaintenanceRuns.RecordAsync(store, task, started, false, "failed: " + ex.Message, owner, CancellationToken.None).ConfigureAwait(false);
            }
            catch (SqliteQueueException)
            {
                // The store is what failed; the original error says more.
            }

            throw;
        }

        var (ok, summary) = describe(result);
        await MaintenanceRuns.RecordAsync(store, task, started, ok, summary, owner, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>The SQLite store for an operation on its file; on a server database, the exception that says what to use instead.</summary>
    private JobStore FileStore(string operation, string instead) =>
        files ?? throw new NotSupportedException(Errors.SqliteFileOnly(operation, instead));

    public static void ValidateRetention(RetentionOptions retention, string paramName)
    {
        ArgumentNullException.ThrowIfNull(retention, paramName);
        Check(retention.Completed, nameof(RetentionOptions.Completed));
        Check(retention.Cancelled, nameof(RetentionOptions.Cancelled));
        Check(retention.Dead, nameof(RetentionOptions.Dead));

        void Check(TimeSpan? value, string name)
        {
            if (value is { } v)
            {
                Guard.InRange(v, TimeSpan.Zero, MaxRetention, $"{paramName}.{name}");
            }
        }
    }

    private static void ValidateFilter(JobFilter filter, string paramName)
    {
        ArgumentNullException.ThrowIfNull(filter, paramName);
        if (!Enum.IsDefined(filter.State))
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(JobFilter.State)}", filter.State, "Unknown job state.");
        }

        if (filter.Queue is not null)
        {
            Guard.Name(filter.Queue, "queue name", $"{paramName}.{nameof(JobFilter.Queue)}");
        }

        if (filter.Type is not null)
        {
            Guard.Name(filter.Type, "job type", $"{paramName}.{nameof(JobFilter.Type)}");
        }
    }

    public static void ValidatePath(string? path, string paramName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path, paramName);
        try
        {
            _ = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"'{path}' is not a valid file path: {ex.Message}", paramName, ex);
        }

        if (path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar) || Directory.Exists(path))
        {
            throw new ArgumentException($"'{path}' names a directory; give the backup file's path.", paramName);
        }
    }

    public static string Describe(PruneResult r) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"deleted {r.Completed} completed, {r.Cancelled} cancelled, {r.Dead} dead in {r.Batches} batches (longest {r.LongestBatch.TotalMilliseconds:0.#} ms)");

    public static string Describe(VacuumResult r, string kind) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{kind}: {r.PagesBefore} pages to {r.PagesAfter}, {r.BytesReleased} bytes released");

    public static string Describe(BackupResult r) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{r.Path}, {r.Bytes} bytes in {r.Duration.TotalSeconds:0.##} s");

    public static string Describe(IntegrityResult r) => r.Ok
        ? $"{r.Level}: ok"
        : $"{r.Level}: {r.Problems.Count} problems, first: {r.Problems[0]}";
}
