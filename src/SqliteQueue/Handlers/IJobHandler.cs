using SqliteQueue.Recurring;

namespace SqliteQueue;

/// <summary>
/// User code for one job type. Register it with
/// <see cref="SqliteQueueBuilder.AddHandler{TPayload, THandler}(string)"/>; a new instance is resolved in a fresh
/// dependency-injection scope for every job.
/// </summary>
/// <typeparam name="TPayload">The payload type the job's JSON is read into.</typeparam>
public interface IJobHandler<TPayload>
{
    /// <summary>
    /// Does the job. Returning completes it; throwing fails the attempt (retried after a backoff until its attempts
    /// are spent); throwing <see cref="PermanentJobFailureException"/> dead-letters it at once.
    /// </summary>
    /// <param name="job">The payload and the job's facts.</param>
    /// <param name="cancellationToken">
    /// Fires when the job times out, is cancelled, loses its lease, or the worker shuts down past its grace time.
    /// Honour it: a handler that ignores it keeps its concurrency slot until it returns (though its job moves on).
    /// </param>
    /// <returns>A task that ends when the job is done.</returns>
    Task HandleAsync(JobContext<TPayload> job, CancellationToken cancellationToken);
}

/// <summary>What a handler receives: the payload and the facts of the job and attempt.</summary>
/// <typeparam name="TPayload">The payload type.</typeparam>
public sealed class JobContext<TPayload>
{
    internal JobContext(ClaimedJob job, TPayload payload, string workerId)
        : this(job.Id, job.Queue, job.Type, job.Attempt, job.MaxAttempts, job.CreatedAt, job.Timeout, payload, workerId)
    {
        Recurring = job.Recurring;
    }

    /// <summary>Creates a context, for calling a handler directly in a unit test.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="queue">The queue.</param>
    /// <param name="type">The job type name.</param>
    /// <param name="attempt">The attempt number, from 1.</param>
    /// <param name="maxAttempts">The attempts allowed in all.</param>
    /// <param name="enqueuedAt">When the job was enqueued.</param>
    /// <param name="timeout">The per-attempt time limit, if any.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="workerId">The worker id.</param>
    public JobContext(long jobId, string queue, string type, int attempt, int maxAttempts, DateTimeOffset enqueuedAt, TimeSpan? timeout, TPayload payload, string workerId)
    {
        JobId = jobId;
        Queue = queue;
        Type = type;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        EnqueuedAt = enqueuedAt;
        Timeout = timeout;
        Payload = payload;
        WorkerId = workerId;
    }

    /// <summary>The job's id.</summary>
    public long JobId { get; }

    /// <summary>The queue the job came from.</summary>
    public string Queue { get; }

    /// <summary>The job type name.</summary>
    public string Type { get; }

    /// <summary>This attempt's number, from 1.</summary>
    public int Attempt { get; }

    /// <summary>The attempts allowed in all.</summary>
    public int MaxAttempts { get; }

    /// <summary>Whether a failure now dead-letters the job.</summary>
    public bool IsLastAttempt => Attempt >= MaxAttempts;

    /// <summary>When the job was enqueued.</summary>
    public DateTimeOffset EnqueuedAt { get; }

    /// <summary>The per-attempt time limit, if any.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>The payload.</summary>
    public TPayload Payload { get; }

    /// <summary>The id of the worker running the job.</summary>
    public string WorkerId { get; }

    /// <summary>
    /// The occurrence this job stands for, when a recurring schedule enqueued it (its scheduled time, and whether it
    /// is a late catch-up); otherwise null. Settable for calling a handler directly in a unit test.
    /// </summary>
    public RecurringOccurrenceContext? Recurring { get; init; }
}

/// <summary>Thrown by a handler for a failure that retrying cannot fix: the job is dead-lettered at once.</summary>
public sealed class PermanentJobFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PermanentJobFailureException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the job cannot succeed.</param>
    public PermanentJobFailureException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">Why the job cannot succeed.</param>
    /// <param name="innerException">The cause.</param>
    public PermanentJobFailureException(string message, Exception? innerException) : base(message, innerException) { }
}
