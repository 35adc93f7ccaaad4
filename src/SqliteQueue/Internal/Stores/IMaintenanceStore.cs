using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Stores;

/// <summary>
/// The store seam of maintenance that any database needs: pruning finished jobs, changing jobs in bulk, the record of
/// maintenance runs, and the lease that lets one process at a time run maintenance. The logic validates input, drives
/// prunes window by window, raises events and decides the schedule; a store only reads and writes. Work on the file
/// itself (checkpoints, vacuums, backups, integrity checks) is the SQLite store's alone and is not part of this seam.
/// </summary>
/// <remarks>
/// A write given a <see cref="MaintenanceLease"/> as its fence first renews that lease inside its own transaction, and
/// when the lease is no longer this process's it undoes the write and throws <see cref="MaintenanceLease.Lost"/>'s
/// exception: a process that stalled past its lease never acts on it once another holds it.
/// </remarks>
internal interface IMaintenanceStore : IJobStore
{
    /// <summary>The store's name in logs: the file for SQLite, the server and database for a server store.</summary>
    string DataSource { get; }

    /// <summary>Writes waiting for this process's writer; a window sweep waits briefly for them to go first. Zero for a store without one writer.</summary>
    int WaitingWrites { get; }

    /// <summary>The lowest and highest job ids present, or null when there are no jobs.</summary>
    Task<(long Min, long Max)?> ReadJobIdBoundsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One bounded prune batch, in one write: deletes the finished jobs with ids in (<paramref name="afterId"/>,
    /// <paramref name="toId"/>] that finished before their state's cutoff, and says whether the first job after
    /// <paramref name="toId"/> was created after every cutoff (or there is none), so the prune can stop.
    /// </summary>
    Task<PruneWindow> PruneWindowAsync(PruneCutoffs cutoffs, long afterId, long toId, MaintenanceLease? fence, CancellationToken cancellationToken);

    /// <summary>Deletes the throughput series' minutes before <paramref name="beforeMinute"/>, in one write.</summary>
    Task PruneThroughputAsync(long beforeMinute, MaintenanceLease? fence, CancellationToken cancellationToken);

    /// <summary>Makes the dead or cancelled jobs <paramref name="filter"/> selects pending again with fresh attempts; returns how many.</summary>
    Task<long> RetryJobsAsync(JobFilter filter, CancellationToken cancellationToken);

    /// <summary>Deletes the jobs <paramref name="filter"/> selects (never running ones); returns how many.</summary>
    Task<long> DeleteJobsAsync(JobFilter filter, CancellationToken cancellationToken);

    /// <summary>How many jobs <paramref name="filter"/> selects now.</summary>
    Task<long> CountJobsAsync(JobFilter filter, CancellationToken cancellationToken);

    /// <summary>Deletes the jobs with these ids that are not running, in one write; the caller bounds the count per call.</summary>
    Task<long> DeleteJobsAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken);

    /// <summary>Requests cancellation of every running job on <paramref name="queue"/>; returns their ids.</summary>
    Task<IReadOnlyList<long>> CancelRunningAsync(string queue, CancellationToken cancellationToken);

    /// <summary>Records the last run of a maintenance task, finished now, replacing the one before.</summary>
    Task RecordRunAsync(string task, long startedAtMs, bool ok, string summary, string owner, CancellationToken cancellationToken);

    /// <summary>The last recorded run of each maintenance task.</summary>
    Task<IReadOnlyList<MaintenanceRun>> ListRunsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Renews lease <paramref name="name"/> when <paramref name="owner"/> holds it at <paramref name="term"/> (not 0),
    /// or else takes it when it is free or expired, with the next term. Returns the term now held, or 0 when another
    /// owner holds it.
    /// </summary>
    Task<long> AcquireOrRenewLeaseAsync(string name, string owner, long term, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Extends lease <paramref name="name"/> to now + <paramref name="duration"/>; false when <paramref name="owner"/> no longer holds it at <paramref name="term"/>.</summary>
    Task<bool> RenewLeaseAsync(string name, string owner, long term, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Frees lease <paramref name="name"/> if <paramref name="owner"/> still holds it at <paramref name="term"/>, so another process can take it at once.</summary>
    Task ReleaseLeaseAsync(string name, string owner, long term, CancellationToken cancellationToken);
}

/// <summary>The finish times before which a job of each state is pruned; <see cref="long.MinValue"/> keeps the state forever.</summary>
internal readonly record struct PruneCutoffs(long Completed, long Cancelled, long Dead)
{
    public long Latest => Math.Max(Completed, Math.Max(Cancelled, Dead));
}

/// <summary>What one prune batch deleted, whether the prune can stop after it, and how long its statements took.</summary>
internal readonly record struct PruneWindow(long Completed, long Cancelled, long Dead, bool Done, TimeSpan Took);
