using System.Text.Json;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Processing;
using SqliteQueue.Recurring;

namespace SqliteQueue;

/// <summary>
/// What a middleware (<see cref="IJobMiddleware"/>) receives: the facts of the job and attempt, its raw payload, its
/// dependency-injection scope, its cancellation token, and <see cref="Items"/> for passing data inward.
/// One context serves a whole invocation: every middleware of the pipeline sees the same instance.
/// </summary>
public sealed class JobMiddlewareContext
{
    private readonly JsonSerializerOptions _json;
    private Dictionary<object, object?>? _items;

    internal JobMiddlewareContext(
        HandlerRegistration registration, IServiceProvider services, ClaimedJob job, string workerId, JsonSerializerOptions json, CancellationToken cancellationToken)
        : this(job.Id, job.Queue, job.Type, job.Attempt, job.MaxAttempts, job.CreatedAt, job.Timeout, job.PayloadJson, workerId, services, json, cancellationToken)
    {
        Recurring = job.Recurring;
        Registration = registration;
        Job = job;
    }

    /// <summary>Creates a context, for calling a middleware directly in a unit test.</summary>
    /// <param name="jobId">The job's id, greater than zero.</param>
    /// <param name="queue">The queue.</param>
    /// <param name="type">The job type name.</param>
    /// <param name="attempt">The attempt number, from 1.</param>
    /// <param name="maxAttempts">The attempts allowed in all, at least 1.</param>
    /// <param name="enqueuedAt">When the job was enqueued.</param>
    /// <param name="timeout">The per-attempt time limit, if any.</param>
    /// <param name="payloadJson">The payload as JSON text.</param>
    /// <param name="workerId">The worker id.</param>
    /// <param name="services">The services the middleware resolves from, standing for the job's scope.</param>
    /// <param name="jsonSerializerOptions">The options <see cref="GetPayload{TPayload}"/> reads with; the default is <see cref="JsonSerializerDefaults.Web"/>, as <see cref="SqliteQueueOptions.JsonSerializerOptions"/>'s.</param>
    /// <param name="cancellationToken">The job's token.</param>
    /// <exception cref="ArgumentNullException">A string or <paramref name="services"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="jobId"/>, <paramref name="attempt"/> or <paramref name="maxAttempts"/> is zero or negative.</exception>
    public JobMiddlewareContext(
        long jobId, string queue, string type, int attempt, int maxAttempts, DateTimeOffset enqueuedAt, TimeSpan? timeout, string payloadJson, string workerId,
        IServiceProvider services, JsonSerializerOptions? jsonSerializerOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(jobId);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(attempt);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxAttempts);
        ArgumentNullException.ThrowIfNull(payloadJson);
        ArgumentNullException.ThrowIfNull(workerId);
        ArgumentNullException.ThrowIfNull(services);
        JobId = jobId;
        Queue = queue;
        Type = type;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        EnqueuedAt = enqueuedAt;
        Timeout = timeout;
        PayloadJson = payloadJson;
        WorkerId = workerId;
        Services = services;
        CancellationToken = cancellationToken;
        _json = jsonSerializerOptions ?? DefaultJson;
    }

    private static readonly JsonSerializerOptions DefaultJson = new(JsonSerializerDefaults.Web);

    /// <summary>The job's id. The same on every attempt.</summary>
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

    /// <summary>The payload as JSON text, as stored; the handler reads it into its payload type inside <c>next</c>.</summary>
    public string PayloadJson { get; }

    /// <summary>The id of the worker running the job.</summary>
    public string WorkerId { get; }

    /// <summary>
    /// The occurrence this job stands for, when a recurring schedule enqueued it; otherwise null. Settable for calling a
    /// middleware directly in a unit test.
    /// </summary>
    public RecurringOccurrenceContext? Recurring { get; init; }

    /// <summary>
    /// The job's dependency-injection scope: the one the handler and scoped middleware are resolved from, disposed
    /// when the handler returns. A scoped service set up here (a tenant, a user) is the one the handler gets.
    /// </summary>
    public IServiceProvider Services { get; }

    /// <summary>
    /// The job's token, the handler's own: it fires when the job times out, is cancelled, loses its lease, or the worker
    /// shuts down past its grace time. Pass it to what the middleware awaits.
    /// </summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// A bag for this invocation only, shared by every middleware of the pipeline: an outer middleware can leave a
    /// value for an inner one. Empty at the start of each attempt; created on first use.
    /// </summary>
    public IDictionary<object, object?> Items => _items ??= [];

    /// <summary>The handler this context was built for by the pipeline; null for a context made by hand.</summary>
    internal HandlerRegistration? Registration { get; }

    /// <summary>The claimed job this context was built for by the pipeline; null for a context made by hand.</summary>
    internal ClaimedJob? Job { get; }

    internal JsonSerializerOptions Json => _json;

    /// <summary>Reads the payload with the queue's JSON options (<see cref="SqliteQueueOptions.JsonSerializerOptions"/>).</summary>
    /// <typeparam name="TPayload">The type to read it into, normally the payload type registered for <see cref="Type"/>.</typeparam>
    /// <returns>The payload. Each call reads it anew.</returns>
    /// <exception cref="JsonException">The payload does not fit <typeparamref name="TPayload"/>, or is JSON null.</exception>
    public TPayload GetPayload<TPayload>() =>
        JsonSerializer.Deserialize<TPayload>(PayloadJson, _json)
        ?? throw new JsonException(Errors.PayloadIsJsonNull(JobId, typeof(TPayload).Name));
}
