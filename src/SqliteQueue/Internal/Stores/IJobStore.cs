using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Internal.Events;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Internal.Stores;

/// <summary>
/// The seam between the queue's logic and a database: everything the client, the worker and the hosted worker runtime
/// ask of a store. The logic validates input, raises events, records metrics and spans, and decides what a result
/// means; a store only reads and writes jobs, atomically, fenced by lease tokens. Every store passes the same
/// conformance suite, so a behaviour cannot exist on one store only.
/// </summary>
/// <remarks>
/// Times are Unix milliseconds. <see cref="NowMs"/> is the store's clock: the caller reads it once per operation so an
/// enqueue's creation time is also the run-at of a job that is not delayed.
/// </remarks>
internal interface IJobStore : IDisposable, IAsyncDisposable
{
    SqliteQueueOptions Options { get; }

    TimeProvider Time { get; }

    long NowMs { get; }

    /// <summary>This store's instruments, on its own meter.</summary>
    QueueMetrics Metrics { get; }

    /// <summary>The observers of this store's job lifecycle, called after each change is committed.</summary>
    JobEvents Events { get; }

    /// <summary>Pulsed after any change to a job made by this process (waits for a job or for idleness re-read on it).</summary>
    ChangeNotifier Changes { get; }

    /// <summary>Pulsed after a commit that may have made jobs claimable: wakes this process's idle workers at once.</summary>
    ChangeNotifier Available { get; }

    /// <summary>Raised in this process when cancellation of a running job was requested, so its handler stops at once.</summary>
    event Action<long>? CancelRequested;

    void RaiseCancelRequested(long jobId);

    /// <summary>Opens, checks and migrates the database. Every operation does this on first use.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    // ---- producer ----

    /// <summary>
    /// Writes one job at once on the calling thread when the store can do so without waiting, and calls
    /// <paramref name="committed"/> with the result once committed. False, with nothing written, when it cannot: the
    /// caller then uses <see cref="InsertAsync"/>. When <paramref name="payloadUtf8"/> is given, its first
    /// <paramref name="payloadLength"/> bytes are the payload in place of <see cref="JobInsert.Payload"/>.
    /// </summary>
    bool TryInsertNow<TState>(
        TState state, in JobInsert job, byte[]? payloadUtf8, int payloadLength, long now, Action<TState, (long Id, bool Created)>? committed,
        out (long Id, bool Created) result);

    /// <summary>Inserts one job; Created is false when its deduplication key named a live job, whose id is returned.</summary>
    Task<(long Id, bool Created)> InsertAsync(JobInsert job, long now, Action<(long Id, bool Created)>? committed, CancellationToken cancellationToken);

    /// <summary>Inserts jobs in one transaction; Existing[i] is true where a deduplication key named a live job (null when none did).</summary>
    Task<(long[] Ids, bool[]? Existing)> InsertManyAsync(
        List<JobInsert> jobs, long now, Action<(long[] Ids, bool[]? Existing)>? committed, CancellationToken cancellationToken);

    Task<JobInfo?> GetJobAsync(long id, CancellationToken cancellationToken);

    Task<IReadOnlyList<JobExecution>> GetExecutionsAsync(long id, CancellationToken cancellationToken);

    /// <summary>A page of jobs; the query is already validated.</summary>
    Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken);

    Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken);

    /// <summary>The statistics, read now on the calling thread for an observable instrument; null when the store is not open or busy.</summary>
    QueueStats? ReadStatsNow();

    Task<bool> IsActiveAsync(long id, CancellationToken cancellationToken);

    Task<long> CountActiveAsync(string? queue, CancellationToken cancellationToken);

    Task<IReadOnlyList<long>> ListActiveIdsAsync(string? queue, int limit, CancellationToken cancellationToken);

    /// <summary>Whether any job on <paramref name="queue"/> (any queue when null) is pending or running.</summary>
    Task<bool> AnyLiveAsync(string? queue, CancellationToken cancellationToken);

    /// <summary>Cancels a pending job, or requests cancellation of a running one; Now is the time it was written at.</summary>
    Task<(CancelOutcome Outcome, long Now)> CancelAsync(long id, CancellationToken cancellationToken);

    /// <summary>Makes a dead or cancelled job pending again with a fresh set of attempts.</summary>
    Task<bool> RetryAsync(long id, CancellationToken cancellationToken);

    // ---- worker ----

    /// <summary>Claims up to <see cref="ClaimArgs.MaxJobs"/> jobs as the strategy plans, after rescuing expired leases.</summary>
    Task<List<ClaimedJob>> ClaimAsync(ClaimArgs args, CancellationToken cancellationToken);

    /// <summary>
    /// Parks a claim that a later write making work due may run in its own commit. A store that cannot run claims
    /// inside other writes returns one that never runs.
    /// </summary>
    ParkedClaim ParkClaim(ClaimArgs args);

    /// <summary>Takes a parked claim back; false when a commit already ran it (its jobs are the claimer's).</summary>
    bool TryUnpark(ParkedClaim claim);

    /// <summary>Completes jobs and counts the attempts of held jobs about to start, in one write, fenced by their lease tokens.</summary>
    Task<CompletionResult> CompleteAsync(IReadOnlyList<ClaimedJob> completed, IReadOnlyList<ClaimedJob> starting, CancellationToken cancellationToken);

    /// <summary>Extends the leases of jobs to now + <paramref name="leaseMs"/>; Until is that time.</summary>
    Task<(RenewResult[] Results, long Until)> RenewAsync(IReadOnlyList<ClaimedJob> jobs, long leaseMs, CancellationToken cancellationToken);

    /// <summary>
    /// Records a failed attempt: pending again after <paramref name="delayMs"/>, dead when permanent or out of
    /// attempts, cancelled when cancellation was requested. <paramref name="committed"/> is called once committed.
    /// </summary>
    Task<(FailResult Result, long Now)> FailAsync(
        ClaimedJob job, string error, bool permanent, long delayMs, Action<(FailResult Result, long Now)>? committed, CancellationToken cancellationToken);

    /// <summary>Gives a claimed job back, pending after <paramref name="delayMs"/>, without spending its attempt.</summary>
    Task<bool> ReleaseAsync(ClaimedJob job, long delayMs, CancellationToken cancellationToken);

    // ---- waking idle workers ----

    /// <summary>A task that ends when another process signals new work, or null when the store has no such signal.</summary>
    Task? NextWakeSignal();

    /// <summary>A number that changes when another process may have changed the jobs (read before <see cref="NextDueAsync"/>).</summary>
    long ReadDataVersion();

    /// <summary>The earliest run-at of a pending job on <paramref name="queues"/> or lease expiry of any running job.</summary>
    Task<long?> NextDueAsync(IReadOnlyList<string> queues, CancellationToken cancellationToken);
}
