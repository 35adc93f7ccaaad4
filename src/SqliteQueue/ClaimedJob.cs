using System.Text.Json;
using SqliteQueue.Recurring;

namespace SqliteQueue;

/// <summary>A job a worker holds under a lease. Settle it with the worker that claimed it.</summary>
public sealed class ClaimedJob
{
    internal ClaimedJob(
        long id, string queue, string type, string payloadJson, int priority, int attempt, int maxAttempts,
        TimeSpan? timeout, DateTimeOffset createdAt, long leaseToken, DateTimeOffset leaseExpiresAt, JsonSerializerOptions json)
    {
        Id = id;
        Queue = queue;
        Type = type;
        PayloadJson = payloadJson;
        Priority = priority;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        Timeout = timeout;
        CreatedAt = createdAt;
        LeaseToken = leaseToken;
        LeaseExpiresAt = leaseExpiresAt;
        _json = json;
    }

    private readonly JsonSerializerOptions _json;

    /// <summary>The job's id.</summary>
    public long Id { get; }

    /// <summary>The queue the job came from.</summary>
    public string Queue { get; }

    /// <summary>The job type name.</summary>
    public string Type { get; }

    /// <summary>The payload as JSON text.</summary>
    public string PayloadJson { get; }

    /// <summary>The job's priority.</summary>
    public int Priority { get; }

    /// <summary>This attempt's number, from 1.</summary>
    public int Attempt { get; }

    /// <summary>The attempts allowed in all.</summary>
    public int MaxAttempts { get; }

    /// <summary>The per-attempt time limit, if any.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>When the job was enqueued.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The token that fences this claim: settling with a token the job no longer carries changes nothing.</summary>
    public long LeaseToken { get; }

    /// <summary>When the lease ends unless renewed. Updated by a successful renewal.</summary>
    public DateTimeOffset LeaseExpiresAt { get; internal set; }

    /// <summary>The occurrence this job stands for, when a recurring schedule enqueued it; otherwise null.</summary>
    public RecurringOccurrenceContext? Recurring { get; internal init; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the span the job was enqueued in (the <c>send</c> span, or the span current at the
    /// enqueue when nothing listened to the queue's own source); null when the enqueue was not traced. A worker run by
    /// hand can link or parent its own span to it.
    /// </summary>
    public string? TraceParent { get; internal init; }

    /// <summary>The W3C <c>tracestate</c> stored with <see cref="TraceParent"/>; null when there was none.</summary>
    public string? TraceState { get; internal init; }

    /// <summary>When the job became due (its run-at), in Unix milliseconds: the start of its wait.</summary>
    internal long DueAtMs { get; init; }

    /// <summary>When the claim was made, in Unix milliseconds: the start of the attempt for a job that started in its claim.</summary>
    internal long ClaimedAtMs { get; init; }

    /// <summary>Deserializes the payload with the queue's JSON options.</summary>
    /// <typeparam name="TPayload">The payload type registered for <see cref="Type"/>.</typeparam>
    /// <returns>The payload.</returns>
    /// <exception cref="JsonException">The payload does not fit <typeparamref name="TPayload"/>.</exception>
    public TPayload GetPayload<TPayload>() =>
        JsonSerializer.Deserialize<TPayload>(PayloadJson, _json)
        ?? throw new JsonException($"The payload of job {Id} is JSON null; a {typeof(TPayload).Name} was expected.");
}
