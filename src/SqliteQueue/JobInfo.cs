namespace SqliteQueue;

/// <summary>A snapshot of one job as stored.</summary>
public sealed record JobInfo
{
    /// <summary>The job's id; ids are never reused.</summary>
    public required long Id { get; init; }

    /// <summary>The queue the job is on.</summary>
    public required string Queue { get; init; }

    /// <summary>The job type name.</summary>
    public required string Type { get; init; }

    /// <summary>The payload as JSON text.</summary>
    public required string PayloadJson { get; init; }

    /// <summary>The priority (lower runs first).</summary>
    public required int Priority { get; init; }

    /// <summary>The current state.</summary>
    public required JobState State { get; init; }

    /// <summary>The attempts started so far: the counter rises when a handler is about to run (or when a job is claimed by hand), not while the job waits in a worker's buffer.</summary>
    public required int Attempt { get; init; }

    /// <summary>The attempts allowed in all.</summary>
    public required int MaxAttempts { get; init; }

    /// <summary>The per-attempt time limit, if any.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The deduplication key, if any.</summary>
    public string? DeduplicationKey { get; init; }

    /// <summary>The earliest time the job may run next.</summary>
    public required DateTimeOffset RunAt { get; init; }

    /// <summary>When the job was enqueued.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the latest attempt started, if any.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the job reached a final state, if it has.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The recurring job (schedule) that enqueued this job, if one did.</summary>
    public string? RecurringName { get; init; }

    /// <summary>The scheduled occurrence this job stands for, if a schedule enqueued it on its schedule (null for a manual trigger).</summary>
    public DateTimeOffset? ScheduledFor { get; init; }

    /// <summary>The id of the worker that holds the lease, while running.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>When the current lease ends, while running.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Whether cancellation was requested while the job was running.</summary>
    public bool CancellationRequested { get; init; }

    /// <summary>The error of the latest failed attempt, if any.</summary>
    public string? LastError { get; init; }
}

/// <summary>One attempt of a job, as recorded in the execution history.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Attempt">The attempt number, from 1.</param>
/// <param name="WorkerId">The worker that ran the attempt.</param>
/// <param name="StartedAt">When the attempt started: its handler was about to run, or the job was claimed by hand.</param>
/// <param name="FinishedAt">When the attempt was settled.</param>
/// <param name="Outcome">How the attempt ended.</param>
/// <param name="Error">The error text, for failed and expired attempts.</param>
public sealed record JobExecution(
    long JobId, int Attempt, string WorkerId, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, ExecutionOutcome Outcome, string? Error);

/// <summary>How one attempt ended.</summary>
public enum ExecutionOutcome
{
    /// <summary>The worker completed the job.</summary>
    Completed = 0,

    /// <summary>The worker reported a failure.</summary>
    Failed = 1,

    /// <summary>The worker's lease ran out before it settled the job (a crash or a hang).</summary>
    LeaseExpired = 2,

    /// <summary>The worker gave the job back without spending the attempt.</summary>
    Released = 3,
}
