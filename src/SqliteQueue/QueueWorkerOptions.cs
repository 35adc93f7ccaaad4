using SqliteQueue.Retry;
using SqliteQueue.Scheduling;

namespace SqliteQueue;

/// <summary>
/// The settings of one hosted worker group, added with <see cref="SqliteQueueBuilder.AddWorker"/>. Several groups
/// with different settings may run in one process.
/// </summary>
public sealed class QueueWorkerOptions
{
    /// <summary>The worker id recorded as lease owner and in the execution history.</summary>
    /// <value>The default is <c>host:pid:random</c>. 1 to 200 characters, at least one of them visible (not only white space or invisible characters), no control characters.</value>
    public string? WorkerId { get; set; }

    /// <summary>The queues to claim from, in order: earlier queues are served first.</summary>
    /// <value>The default is the single queue <c>"default"</c>.</value>
    public IReadOnlyList<string> Queues { get; set; } = [QueueNames.Default];

    /// <summary>The claim order.</summary>
    /// <value>The default is <see cref="SqliteQueueOptions.DefaultStrategy"/>.</value>
    public ISchedulingStrategy? Strategy { get; set; }

    /// <summary>The most handlers that run at once in this group.</summary>
    /// <value>The default is 4. 1 to 1000.</value>
    public int Concurrency { get; set; } = 4;

    /// <summary>The most jobs one claim takes.</summary>
    /// <value>The default is 128. 1 to 1000.</value>
    public int BatchSize { get; set; } = 128;

    /// <summary>
    /// The most claimed jobs that may wait for a free slot beyond those running. The worker holds about 20 ms of
    /// work at its recent completion rate, up to this many: short jobs are then claimed in large batches (one
    /// statement for many jobs, which multiplies throughput), while slow jobs are claimed about one per free slot
    /// and stay available to other workers. Waiting jobs' leases are renewed like running ones, a cancel reaches
    /// them before they start, and shutdown gives them back at once without spending an attempt.
    /// </summary>
    /// <value>The default is 512. 0 (claim only for free slots) to 10,000.</value>
    public int Prefetch { get; set; } = 512;

    /// <summary>How long a claim holds a job before another worker may take it; renewed by the heartbeat while the handler runs.</summary>
    /// <value>The default is 30 seconds. 1 second to 1 day.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the leases of running jobs are renewed, and cancellation requests from other processes are noticed.</summary>
    /// <value>The default is a third of <see cref="LeaseDuration"/>. Greater than zero and less than <see cref="LeaseDuration"/>.</value>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>
    /// The longest a job enqueued by another process waits before an idle worker starts it: the worker checks
    /// whether another process changed the file (a cheap <c>PRAGMA data_version</c>) a little more often than this
    /// (up to 5 ms sooner), so the claim fits inside. Enqueues in this process wake it at once, and it wakes by
    /// itself when a delayed job comes due. Other processes on this machine wake it at once too, through the wake-up
    /// file (<see cref="SqliteQueueOptions.CrossProcessWake"/>), so this is the backstop for when that cannot work.
    /// </summary>
    /// <value>The default is 1 second. 10 milliseconds to 1 hour.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long shutdown waits for running handlers before it cancels them and releases their jobs (without spending
    /// an attempt). If the host's own shutdown time runs out first, the jobs are released at that moment instead.
    /// </summary>
    /// <value>The default is 20 seconds, inside the generic host's default of 30. Zero to 1 hour.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The retry spacing for failed jobs.</summary>
    /// <value>The default is <see cref="SqliteQueueOptions.BackoffPolicy"/>.</value>
    public IBackoffPolicy? BackoffPolicy { get; set; }
}
