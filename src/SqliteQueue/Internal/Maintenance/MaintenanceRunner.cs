using System.Data.Common;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// Maintenance on a schedule, in the one process per file that holds the maintenance lease: the WAL policy, prunes
/// (with an incremental vacuum when they leave much free space), integrity checks and backups. Integrity checks and
/// backups are timed from their last run recorded in the file, so a restart or a new holder keeps their rhythm. On a
/// store with no SQLite file (<paramref name="files"/> null) only the lease and prunes run; the steps on the file are
/// the server's own business there.
/// </summary>
internal sealed class MaintenanceRunner(IMaintenanceStore store, JobStore? files, QueueMaintenance maintenance, MaintenanceOptions options, ILogger logger)
{
    public const string LeaseName = "maintenance";
    private const int VacuumStepPages = 2000;
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);

    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    private DateTimeOffset _nextRenew;
    private DateTimeOffset _nextCheckpoint;
    private DateTimeOffset _nextPrune;
    private DateTimeOffset? _nextIntegrity;
    private DateTimeOffset? _nextBackup;
    private long? _versionAfterOwnWrites;
    private string? _databasePath;

    public string Owner => _owner;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var lease = new MaintenanceLease(store, LeaseName, _owner, options.LeaseDuration);
        var time = store.Time;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // Read before this round's own writes (lease renewal, run records), so only other work counts as activity.
                var version = ReadDataVersion();
                var now = time.GetUtcNow();
                await RoundAsync(lease, version, now, cancellationToken).ConfigureAwait(false);
                _versionAfterOwnWrites = ReadDataVersion();

                var wake = _nextRenew;
                if (lease.Held)
                {
                    wake = Earliest(wake, _nextCheckpoint, _nextPrune, _nextIntegrity, _nextBackup);
                }

                var delay = wake - time.GetUtcNow();
                await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            try
            {
                await lease.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SqliteQueueException or ObjectDisposedException)
            {
                // The lease then expires on its own.
            }
        }
    }

    /// <summary>
    /// The file's data version, or null when it cannot be read: outside a round's error handling, so a file that
    /// cannot be read must not end the loop (the round then fails, is logged and retried). Only the checkpoint step
    /// reads it, so there is nothing to read without a file.
    /// </summary>
    private long? ReadDataVersion()
    {
        if (files is null)
        {
            return null;
        }

        try
        {
            return files.IsMemory ? 0 : files.ReadDataVersion();
        }
        catch (DbException)
        {
            return null;
        }
    }

    private async Task RoundAsync(MaintenanceLease lease, long? version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var task = "lease";
        try
        {
            if (now >= _nextRenew || !lease.Held)
            {
                var wasHeld = lease.Held;
                var held = await lease.AcquireOrRenewAsync(cancellationToken).ConfigureAwait(false);
                _nextRenew = now + options.LeaseDuration / 3;
                if (held && !wasHeld)
                {
                    logger.MaintenanceLeaseTaken(store.DataSource, _owner);
                    await ScheduleFromRecordedRunsAsync(now, cancellationToken).ConfigureAwait(false);
                }
                else if (wasHeld && !held)
                {
                    logger.MaintenanceLeaseLost(store.DataSource);
                }
            }

            if (!lease.Held)
            {
                return;
            }

            if (files is not null && now >= _nextCheckpoint)
            {
                task = "checkpoint";
                _nextCheckpoint = now + options.CheckpointInterval;
                await CheckpointAsync(version, cancellationToken).ConfigureAwait(false);
            }

            if (now >= _nextPrune)
            {
                task = MaintenanceRuns.Prune;
                _nextPrune = now + options.PruneInterval;
                await PruneAsync(lease, cancellationToken).ConfigureAwait(false);
            }

            if (files is not null && _nextIntegrity is { } integrity && now >= integrity)
            {
                task = MaintenanceRuns.Integrity;
                _nextIntegrity = now + options.IntegrityCheckInterval!.Value;
                IntegrityResult result;
                await using (lease.KeepAlive(options.LeaseDuration / 3).ConfigureAwait(false))
                {
                    result = await maintenance.RecordedAsync(task, _owner,
                        () => FileCare.CheckIntegrityAsync(files, IntegrityLevel.Quick, cancellationToken),
                        r => (r.Ok, QueueMaintenance.Describe(r)), cancellationToken).ConfigureAwait(false);
                }

                if (!result.Ok)
                {
                    logger.IntegrityProblems(store.DataSource, result.Problems.Count, result.Problems[0]);
                }
            }

            if (files is not null && _nextBackup is { } backup && now >= backup)
            {
                task = MaintenanceRuns.Backup;
                _nextBackup = now + options.BackupInterval!.Value;
                await BackupAsync(files, lease, now, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (MaintenanceLeaseLostException)
        {
            logger.MaintenanceLeaseLost(store.DataSource);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.MaintenanceFailed(ex, task, store.DataSource, RetryAfterFailure);

            // A renewal already due (the first round's acquire, say) would otherwise make the loop spin without a pause;
            // the task that failed comes back after the pause rather than a whole interval later.
            var retry = now + RetryAfterFailure;
            _nextRenew = retry < _nextRenew || _nextRenew <= now ? retry : _nextRenew;
            switch (task)
            {
                case MaintenanceRuns.Prune:
                    _nextPrune = retry < _nextPrune ? retry : _nextPrune;
                    break;
                case MaintenanceRuns.Integrity:
                    _nextIntegrity = retry < _nextIntegrity ? retry : _nextIntegrity;
                    break;
                case MaintenanceRuns.Backup:
                    _nextBackup = retry < _nextBackup ? retry : _nextBackup;
                    break;
            }
        }
    }

    private async Task ScheduleFromRecordedRunsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        _nextPrune = now;
        if (files is null)
        {
            // Checkpoints, integrity checks and backups are the file's; a server database has its own tools for them.
            _nextCheckpoint = DateTimeOffset.MaxValue;
            _nextIntegrity = null;
            _nextBackup = null;
            return;
        }

        _nextCheckpoint = now;
        var info = await FileCare.GetStorageInfoAsync(files, null, cancellationToken).ConfigureAwait(false);
        _databasePath = info.Path;
        _nextIntegrity = NextFrom(info.LastRuns, MaintenanceRuns.Integrity, options.IntegrityCheckInterval, now);
        _nextBackup = NextFrom(info.LastRuns, MaintenanceRuns.Backup, options.BackupInterval, now);
    }

    private static DateTimeOffset? NextFrom(IReadOnlyList<MaintenanceRun> runs, string task, TimeSpan? interval, DateTimeOffset now)
    {
        if (interval is not { } every)
        {
            return null;
        }

        var last = runs.FirstOrDefault(r => r.Task == task);
        return last is null ? now : last.StartedAt + every;
    }

    /// <summary>
    /// Truncates the WAL when nothing but this process's maintenance wrote since the last round (the queue is idle), or
    /// when it is over its limit; otherwise a passive checkpoint, which never waits. Nothing at all for an empty WAL.
    /// </summary>
    private async Task CheckpointAsync(long? version, CancellationToken cancellationToken)
    {
        if (files is null || files.IsMemory)
        {
            return;
        }

        var wal = StorageFiles.WalLength(_databasePath);
        if (wal == 0)
        {
            return;
        }

        var idle = version is not null && _versionAfterOwnWrites == version;
        var over = wal > options.WalSizeLimitBytes;
        var mode = idle || over ? CheckpointMode.Truncate : CheckpointMode.Passive;

        // A truncation holds the write lock while it copies what is left and waits for readers: only once a passive pass
        // has caught up, so that little is left, and never while a reader still needs part of the WAL (it would wait
        // out its timeout with every writer blocked, and fail).
        var result = await Checkpoints.RunAsync(files, mode, Checkpoints.DefaultBusyTimeout, cancellationToken, truncateOnlyWhenCaughtUp: true).ConfigureAwait(false);
        maintenance.LastCheckpoint = result;
        logger.Checkpointed(store.DataSource, mode.ToString(), result.CheckpointedFrames, result.LogFrames, result.Busy, result.WalBytesAfter);
        if (result.WalBytesAfter > options.WalSizeLimitBytes && result.Busy)
        {
            logger.WalOverLimit(store.DataSource, result.WalBytesAfter, options.WalSizeLimitBytes);
        }
    }

    private async Task PruneAsync(MaintenanceLease lease, CancellationToken cancellationToken)
    {
        var pruned = await maintenance.RecordedAsync(MaintenanceRuns.Prune, _owner,
            () => Pruner.PruneAsync(store, options.Retention, lease, cancellationToken),
            r => (true, QueueMaintenance.Describe(r)), cancellationToken).ConfigureAwait(false);
        if (pruned.Total == 0)
        {
            return;
        }

        logger.Pruned(store.DataSource, pruned.Total, pruned.Completed, pruned.Cancelled, pruned.Dead, pruned.Batches, pruned.LongestBatch.TotalMilliseconds);

        if (files is null)
        {
            return;
        }

        // Free pages are given back in steps, each its own short write, once they are more than a tenth of the file.
        var info = await FileCare.GetStorageInfoAsync(files, null, cancellationToken).ConfigureAwait(false);
        if (info.AutoVacuum != AutoVacuumMode.Incremental || info.FreePages * 10 <= info.PageCount)
        {
            return;
        }

        await maintenance.RecordedAsync(MaintenanceRuns.Vacuum, _owner, async () =>
        {
            VacuumResult? first = null;
            VacuumResult last;
            do
            {
                last = await FileCare.IncrementalVacuumAsync(files, VacuumStepPages, lease, cancellationToken).ConfigureAwait(false);
                first ??= last;
            }
            while (last.FreePagesAfter > 0 && last.FreePagesAfter < last.FreePagesBefore);

            return first with { PagesAfter = last.PagesAfter, FreePagesAfter = last.FreePagesAfter };
        }, r => (true, QueueMaintenance.Describe(r, "incremental")), cancellationToken).ConfigureAwait(false);
    }

    private async Task BackupAsync(JobStore file, MaintenanceLease lease, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var directory = options.BackupDirectory!;
        var path = Path.Combine(directory, Backups.ScheduledName(_databasePath, now));
        BackupResult result;
        await using (lease.KeepAlive(options.LeaseDuration / 3).ConfigureAwait(false))
        {
            result = await maintenance.RecordedAsync(MaintenanceRuns.Backup, _owner, () => Backups.BackupAsync(file, path, cancellationToken),
                r => (true, QueueMaintenance.Describe(r)), cancellationToken).ConfigureAwait(false);
        }

        logger.BackedUp(store.DataSource, result.Path, result.Bytes);

        // Old backups are deleted only by the holder of the lease, checked in a write of its own: a process that stalled
        // through its backup must not thin out the backups of the one that took over.
        await lease.CheckAsync(cancellationToken).ConfigureAwait(false);
        Backups.DeleteOld(directory, _databasePath, options.BackupsToKeep);
    }

    private static DateTimeOffset Earliest(DateTimeOffset first, params DateTimeOffset?[] others)
    {
        var earliest = first;
        foreach (var other in others)
        {
            if (other is { } o && o < earliest)
            {
                earliest = o;
            }
        }

        return earliest;
    }
}
