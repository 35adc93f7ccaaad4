namespace SqliteQueue;

/// <summary>Per-job settings for an enqueue. Every property is optional.</summary>
public sealed class EnqueueOptions
{
    /// <summary>The queue to put the job on.</summary>
    /// <value>The default is <c>"default"</c>. 1 to 200 characters, at least one of them visible (not only white space or invisible characters), no control characters.</value>
    public string? Queue { get; init; }

    /// <summary>The job's priority; lower numbers run first under the priority strategies.</summary>
    /// <value>The default is 0. Any value from -1,000,000 to 1,000,000.</value>
    public int Priority { get; init; }

    /// <summary>How long to wait before the job may run. Cannot be combined with <see cref="RunAt"/>.</summary>
    /// <value>The default is none (run at once). Zero to 3650 days.</value>
    public TimeSpan? Delay { get; init; }

    /// <summary>The earliest time the job may run. Cannot be combined with <see cref="Delay"/>.</summary>
    /// <value>The default is none (run at once). A time in the past runs at once.</value>
    public DateTimeOffset? RunAt { get; init; }

    /// <summary>How many times the job may be attempted before it is dead-lettered.</summary>
    /// <value>The default is <see cref="SqliteQueueOptions.DefaultMaxAttempts"/>. 1 to 1000.</value>
    public int? MaxAttempts { get; init; }

    /// <summary>The longest one attempt may run; enforced by the worker runtime.</summary>
    /// <value>The default is none. Greater than zero and at most 7 days.</value>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// A deduplication key: while a job with the same key on the same queue is pending or running,
    /// enqueueing again returns that job's id and adds nothing.
    /// </summary>
    /// <value>The default is none. 1 to 1000 characters, at least one of them visible (not only white space or invisible characters), no NUL and no unpaired surrogates.</value>
    public string? DeduplicationKey { get; init; }
}
