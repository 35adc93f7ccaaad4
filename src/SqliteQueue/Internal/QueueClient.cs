using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SqliteQueue.Events;
using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal;

/// <summary>The producer side, over one store.</summary>
internal sealed partial class QueueClient(IJobStore store, ILogger logger) : IQueueClient
{
    private const int MaxBatch = 100_000;

    private readonly JsonSerializerOptions _json = new(store.Options.JsonSerializerOptions)
    {
        Encoder = new StrictJsonEncoder(store.Options.JsonSerializerOptions.Encoder ?? JavaScriptEncoder.Default),
    };

    public Task<long> EnqueueAsync<TPayload>(string type, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var utf8 = SerializeUtf8(payload, nameof(payload));
        try
        {
            return InsertOne(type, json: null, utf8, options, cancellationToken);
        }
        finally
        {
            // The write has either read the bytes or made a string of them: the buffer is free again.
            Utf8Payload.Return(utf8);
        }
    }

    public Task<long> EnqueueJsonAsync(string type, string payloadJson, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        Guard.PayloadJson(payloadJson, store.Options.MaxPayloadLength, nameof(payloadJson));
        return InsertOne(type, payloadJson, utf8: null, options, cancellationToken);
    }

    public Task<IReadOnlyList<long>> EnqueueManyAsync<TPayload>(
        string type, IEnumerable<TPayload> payloads, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payloads);

        // Every job of the batch shares the type and the options: they are checked once, even for an empty batch.
        // One write reads the clock once: the time its jobs are created at is also the run-at of those not delayed.
        var now = store.NowMs;
        var shared = Validate(type, "", options, now);
        var jobs = payloads.TryGetNonEnumeratedCount(out var count) ? new List<JobInsert>(Math.Min(count, MaxBatch + 1)) : [];
        foreach (var payload in payloads)
        {
            jobs.Add(shared with { Payload = Serialize(payload, nameof(payloads), jobs.Count) });
            CheckBatchSize(jobs.Count, nameof(payloads));
        }

        return InsertManyAsync(jobs, now, cancellationToken);
    }

    public Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<NewJob> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var now = store.NowMs;
        var inserts = new List<JobInsert>();
        foreach (var job in jobs)
        {
            if (job is null)
            {
                throw new ArgumentException($"{nameof(jobs)}[{inserts.Count}] is null.", nameof(jobs));
            }

            Guard.PayloadJson(job.PayloadJson, store.Options.MaxPayloadLength, $"{nameof(jobs)}[{inserts.Count}].{nameof(NewJob.PayloadJson)}");
            var element = $"{nameof(jobs)}[{inserts.Count}].";
            inserts.Add(Validate(job.Type, job.PayloadJson, job.Options, now, element + nameof(NewJob.Type), OptionParams.Of(element + nameof(NewJob.Options))));
            CheckBatchSize(inserts.Count, nameof(jobs));
        }

        return InsertManyAsync(inserts, now, cancellationToken);
    }

    public Task<JobInfo?> GetJobAsync(long jobId, CancellationToken cancellationToken = default)
    {
        Guard.Positive(jobId, nameof(jobId));
        return store.GetJobAsync(jobId, cancellationToken);
    }

    public Task<IReadOnlyList<JobExecution>> GetExecutionsAsync(long jobId, CancellationToken cancellationToken = default)
    {
        Guard.Positive(jobId, nameof(jobId));
        return store.GetExecutionsAsync(jobId, cancellationToken);
    }

    public Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Queue is not null)
        {
            Guard.Name(query.Queue, "queue name", $"{nameof(query)}.{nameof(JobQuery.Queue)}");
        }

        if (query.Type is not null)
        {
            Guard.Name(query.Type, "job type", $"{nameof(query)}.{nameof(JobQuery.Type)}");
        }

        if (query.State is { } state && !Enum.IsDefined(state))
        {
            throw new ArgumentOutOfRangeException($"{nameof(query)}.{nameof(JobQuery.State)}", state, "Unknown job state.");
        }

        if (query is { CreatedAfter: { } after, CreatedBefore: { } before } && after >= before)
        {
            throw new ArgumentException(Errors.CreatedRangeEmpty(after, before), $"{nameof(query)}.{nameof(JobQuery.CreatedBefore)}");
        }

        if (query.PayloadContains is { } text && (text.Length is 0 or > 200 || text.Contains('\0', StringComparison.Ordinal)))
        {
            throw new ArgumentException(Errors.InvalidPayloadContains(text), $"{nameof(query)}.{nameof(JobQuery.PayloadContains)}");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(query.AfterId, $"{nameof(query)}.{nameof(JobQuery.AfterId)}");
        if (query.BeforeId is { } beforeId && beforeId <= query.AfterId + 1)
        {
            throw new ArgumentOutOfRangeException($"{nameof(query)}.{nameof(JobQuery.BeforeId)}", beforeId, Errors.EmptyIdWindow(query.AfterId, beforeId));
        }

        Guard.InRange(query.Limit, 1, 1000, $"{nameof(query)}.{nameof(JobQuery.Limit)}");

        return store.ListJobsAsync(query, cancellationToken);
    }

    public async Task<CancelResult> CancelAsync(long jobId, CancellationToken cancellationToken = default)
    {
        Guard.Positive(jobId, nameof(jobId));
        var (outcome, now) = await store.CancelAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (outcome.Result is CancelResult.Cancelled or CancelResult.CancellationRequested)
        {
            store.Changes.Notify();
        }

        if (outcome.Result == CancelResult.Cancelled)
        {
            logger.JobCancelledByClient(jobId, outcome.Type!, outcome.Queue!);
            if (store.Events.HasObservers)
            {
                store.Events.Raise(new JobEvent(JobEventKind.Cancelled, jobId, outcome.Queue!, outcome.Type!, outcome.Attempt, Times.FromMs(now)));
            }
        }
        else if (outcome.Result == CancelResult.CancellationRequested)
        {
            logger.JobCancelRequestedByClient(jobId, outcome.Type!, outcome.Queue!);
            store.RaiseCancelRequested(jobId);
        }

        return outcome.Result;
    }

    public async Task<bool> RetryAsync(long jobId, CancellationToken cancellationToken = default)
    {
        Guard.Positive(jobId, nameof(jobId));
        var retried = await store.RetryAsync(jobId, cancellationToken).ConfigureAwait(false);
        if (retried)
        {
            logger.JobRetriedByClient(jobId);
            store.Changes.Notify();
            store.Available.Notify();
        }

        return retried;
    }

    public Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        store.GetStatsAsync(cancellationToken);

    public async Task<JobInfo> WaitForJobAsync(long jobId, CancellationToken cancellationToken = default)
    {
        Guard.Positive(jobId, nameof(jobId));
        while (true)
        {
            var changed = store.Changes.NextChange;
            var job = await store.GetJobAsync(jobId, cancellationToken).ConfigureAwait(false)
                ?? throw new JobNotFoundException(Errors.JobNotFound(jobId));
            if (job.State.IsFinished())
            {
                return job;
            }

            await WaitForChangeAsync(changed, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<bool> IsActiveAsync(long jobId, CancellationToken cancellationToken = default)
    {
        Guard.Positive(jobId, nameof(jobId));
        return store.IsActiveAsync(jobId, cancellationToken);
    }

    public Task<long> CountActiveAsync(string? queue = null, CancellationToken cancellationToken = default)
    {
        if (queue is not null)
        {
            Guard.Name(queue, "queue name", nameof(queue));
        }

        return store.CountActiveAsync(queue, cancellationToken);
    }

    public Task<IReadOnlyList<long>> ListActiveJobIdsAsync(string? queue = null, int limit = 10_000, CancellationToken cancellationToken = default)
    {
        if (queue is not null)
        {
            Guard.Name(queue, "queue name", nameof(queue));
        }

        Guard.InRange(limit, 1, 1_000_000, nameof(limit));
        return store.ListActiveIdsAsync(queue, limit, cancellationToken);
    }

    public Task WaitUntilAllIdleAsync(CancellationToken cancellationToken = default) =>
        WaitUntilNoneLiveAsync(null, cancellationToken);

    public Task WaitUntilIdleAsync(string queue, CancellationToken cancellationToken = default)
    {
        Guard.Name(queue, "queue name", nameof(queue));
        return WaitUntilNoneLiveAsync(queue, cancellationToken);
    }

    /// <summary>Asks whether <paramref name="queue"/> (any, when null) has live jobs after every change in this process and every poll, until it has none.</summary>
    private async Task WaitUntilNoneLiveAsync(string? queue, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = store.Changes.NextChange;
            if (!await store.AnyLiveAsync(queue, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            await WaitForChangeAsync(changed, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Wakes on a change in this process, or after the poll interval for changes made by other processes.</summary>
    private async Task WaitForChangeAsync(Task changed, CancellationToken cancellationToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(store.Options.PollInterval, store.Time, poll.Token);
        await Task.WhenAny(changed, delay).ConfigureAwait(false);
        await poll.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private string Serialize<TPayload>(TPayload payload, string paramName, int? index)
    {
        if (payload is null)
        {
            throw NullPayload(paramName, index);
        }

        string json;
        try
        {
            json = JsonSerializer.Serialize(payload, _json);
        }
        catch (Exception ex) when (NotSerializable<TPayload>(ex, paramName) is { } error)
        {
            throw error;
        }

        if (json.Length > store.Options.MaxPayloadLength)
        {
            throw new ArgumentException(Errors.PayloadTooLong(json.Length, store.Options.MaxPayloadLength), paramName);
        }

        return json;
    }

    /// <summary>
    /// As <see cref="Serialize{TPayload}(TPayload, string, int?)"/>, straight to UTF-8 in this thread's buffer, which the
    /// caller gives back with <see cref="Utf8Payload.Return"/>. The length limit still counts UTF-16 characters.
    /// </summary>
    private Utf8Payload SerializeUtf8<TPayload>(TPayload payload, string paramName)
    {
        if (payload is null)
        {
            throw NullPayload(paramName, index: null);
        }

        var utf8 = Utf8Payload.Rent(_json);
        try
        {
            utf8.Write(payload);
        }
        catch (Exception ex)
        {
            Utf8Payload.Return(utf8);
            if (NotSerializable<TPayload>(ex, paramName) is { } error)
            {
                throw error;
            }

            throw;
        }

        // A character takes at least one byte: only a payload longer in bytes than the limit can be too long.
        if (utf8.Length > store.Options.MaxPayloadLength
            && Encoding.UTF8.GetCharCount(utf8.Bytes, 0, utf8.Length) is var chars && chars > store.Options.MaxPayloadLength)
        {
            Utf8Payload.Return(utf8);
            throw new ArgumentException(Errors.PayloadTooLong(chars, store.Options.MaxPayloadLength), paramName);
        }

        return utf8;
    }

    private static ArgumentNullException NullPayload(string paramName, int? index)
    {
        var which = index is { } i ? $"{paramName}[{i}]" : paramName;
        return new ArgumentNullException(paramName, $"{which} is null; every job needs a payload (enqueue an empty object for none).");
    }

    /// <summary>The caller's error for a payload the serializer refused; null for any other failure.</summary>
    private static ArgumentException? NotSerializable<TPayload>(Exception ex, string paramName) => ex switch
    {
        StrictJsonEncoder.MalformedTextException => new ArgumentException(Errors.PayloadNotWellFormed, paramName, ex),
        JsonException or NotSupportedException or ArgumentException or InvalidOperationException =>
            new ArgumentException($"The payload of type {typeof(TPayload).Name} cannot be serialized to JSON: {ex.Message}", paramName, ex),
        _ => null,
    };

    /// <summary>The store this client writes to, for a store's own enqueue inside an application's transaction.</summary>
    internal IJobStore Store => store;

    /// <summary>
    /// Checks and serializes one job exactly as <see cref="EnqueueAsync{TPayload}"/> would, with the caller's trace
    /// context, for a store that writes it inside an application's own transaction; Now is the time it was checked at.
    /// </summary>
    internal (JobInsert Job, long Now) Prepare<TPayload>(string type, TPayload payload, EnqueueOptions? options)
    {
        var json = Serialize(payload, nameof(payload), index: null);
        return PrepareJson(type, json, options);
    }

    /// <summary>As <see cref="Prepare{TPayload}"/>, for a payload given as JSON text (checked as <see cref="EnqueueJsonAsync"/> checks it).</summary>
    internal (JobInsert Job, long Now) PrepareJson(string type, string payloadJson, EnqueueOptions? options)
    {
        Guard.PayloadJson(payloadJson, store.Options.MaxPayloadLength, nameof(payloadJson));
        var now = store.NowMs;
        var job = Validate(type, payloadJson, options, now);
        var (traceParent, traceState) = TraceContext.Capture(null);
        return (traceParent is null ? job : job with { TraceParent = traceParent, TraceState = traceState }, now);
    }

    /// <summary>
    /// Checks one job; parameter names are those of the public call (or of the batch element) that carried it. The
    /// names of the options' properties are built once for a direct call (<see cref="OptionParams.Direct"/>), not per call.
    /// </summary>
    private JobInsert Validate(string type, string json, EnqueueOptions? options, long now, string typeParam = "type", OptionParams? optionParams = null)
    {
        Guard.Name(type, "job type", typeParam);
        var names = optionParams ?? OptionParams.Direct;
        var queue = options?.Queue is null ? QueueNames.Default : Guard.Name(options.Queue, "queue name", names.Queue);
        var key = Guard.Key(options?.DeduplicationKey, names.DeduplicationKey);
        var priority = options?.Priority ?? 0;
        Guard.InRange(priority, -Guard.MaxPriority, Guard.MaxPriority, names.Priority);
        var maxAttempts = options?.MaxAttempts ?? store.Options.DefaultMaxAttempts;
        Guard.InRange(maxAttempts, 1, 1000, names.MaxAttempts);

        long? timeoutMs = null;
        if (options?.Timeout is { } timeout)
        {
            if (timeout <= TimeSpan.Zero || timeout > Guard.MaxTimeout)
            {
                throw new ArgumentOutOfRangeException(names.Timeout, timeout, $"{names.Timeout} must be greater than zero and at most {Guard.MaxTimeout}.");
            }

            timeoutMs = (long)Math.Ceiling(timeout.TotalMilliseconds);
        }

        var runAt = now;
        if (options?.Delay is { } delay)
        {
            if (options.RunAt is not null)
            {
                throw new ArgumentException(Errors.DelayAndRunAt, names.Delay);
            }

            Guard.InRange(delay, TimeSpan.Zero, Guard.MaxDelay, names.Delay);
            runAt = now + (long)Math.Ceiling(delay.TotalMilliseconds);
        }
        else if (options?.RunAt is { } at)
        {
            runAt = Times.ToMs(at);
        }

        return new JobInsert(queue, type, json, priority, runAt, maxAttempts, timeoutMs, key);
    }

    /// <summary>The parameter names of the options' properties, for the options of a call or of a batch element.</summary>
    private sealed record OptionParams(string Queue, string DeduplicationKey, string Priority, string MaxAttempts, string Timeout, string Delay)
    {
        public static readonly OptionParams Direct = Of("options");

        public static OptionParams Of(string options) => new(
            options + ".Queue", options + ".DeduplicationKey", options + ".Priority", options + ".MaxAttempts", options + ".Timeout", options + ".Delay");
    }

    private static void CheckBatchSize(int count, string paramName)
    {
        if (count > MaxBatch)
        {
            throw new ArgumentException($"At most {MaxBatch} jobs can be enqueued in one call; split the batch.", paramName);
        }
    }
}
