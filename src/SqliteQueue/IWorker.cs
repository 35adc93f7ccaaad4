namespace SqliteQueue;

/// <summary>
/// The consumer side of the queue: claim jobs under a lease and settle them. Every settle is fenced by the
/// claim's lease token, so a worker whose lease ran out and whose job was claimed again changes nothing.
/// A worker may be shared by several threads.
/// </summary>
public interface IWorker
{
    /// <summary>The id recorded as lease owner and in the execution history.</summary>
    string WorkerId { get; }

    /// <summary>Claims up to <paramref name="maxJobs"/> runnable jobs in one transaction, under one fresh lease token.</summary>
    /// <param name="maxJobs">The most jobs to claim, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>The claimed jobs, possibly none. Each attempt counter has already risen.</returns>
    Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int maxJobs = 1, CancellationToken cancellationToken = default);

    /// <summary>Marks a claimed job completed.</summary>
    /// <param name="job">A job this worker claimed.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns><see langword="false"/> when the lease was lost and nothing changed.</returns>
    Task<bool> CompleteAsync(ClaimedJob job, CancellationToken cancellationToken = default);

    /// <summary>Marks many claimed jobs completed in one transaction.</summary>
    /// <param name="jobs">Jobs this worker claimed.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>Per job, in order: <see langword="false"/> when its lease was lost and nothing changed for it.</returns>
    Task<IReadOnlyList<bool>> CompleteManyAsync(IReadOnlyList<ClaimedJob> jobs, CancellationToken cancellationToken = default);

    /// <summary>Records a failed attempt: the job is retried after a backoff, or dead-lettered when its attempts are spent or the failure is permanent.</summary>
    /// <param name="job">A job this worker claimed.</param>
    /// <param name="errorMessage">What went wrong, 1 to 100,000 characters (longer texts are cut).</param>
    /// <param name="permanent">Whether the job must not be retried.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>The job's new state, or <see cref="FailResult.Applied"/> false when the lease was lost.</returns>
    Task<FailResult> FailAsync(ClaimedJob job, string errorMessage, bool permanent = false, CancellationToken cancellationToken = default);

    /// <summary>Extends the lease of a claimed job by the worker's lease duration, counted from now.</summary>
    /// <param name="job">A job this worker claimed.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>Whether the lease holds, and whether cancellation was requested.</returns>
    Task<RenewResult> RenewLeaseAsync(ClaimedJob job, CancellationToken cancellationToken = default);

    /// <summary>Gives a claimed job back without spending its attempt, so any worker may take it (a job whose cancellation was requested ends cancelled instead).</summary>
    /// <param name="job">A job this worker claimed.</param>
    /// <param name="delay">How long before it may run again; zero or more, at most 3650 days.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns><see langword="false"/> when the lease was lost and nothing changed.</returns>
    Task<bool> ReleaseAsync(ClaimedJob job, TimeSpan delay = default, CancellationToken cancellationToken = default);
}

/// <summary>Creates workers over the queue's store.</summary>
public interface IWorkerFactory
{
    /// <summary>Creates a worker.</summary>
    /// <param name="options">Its settings, or <see langword="null"/> for the defaults.</param>
    /// <returns>The worker.</returns>
    IWorker Create(WorkerOptions? options = null);
}
