using System.Text.Json;

namespace SqliteQueue.Recurring;

/// <summary>Sets the options of a recurring job declared with <see cref="SqliteQueueBuilder.AddRecurringJob"/>.</summary>
public sealed class RecurringJobBuilder
{
    private Func<JsonSerializerOptions, string>? _payload;
    private RecurringJobDefinition _definition;

    internal RecurringJobBuilder(string name, string jobType, string schedule) => _definition = new RecurringJobDefinition(name, jobType, schedule);

    /// <summary>Reads the schedule in a time zone (IANA or Windows id) rather than UTC.</summary>
    /// <param name="timeZone">The zone id, such as <c>"America/New_York"</c>.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder InTimeZone(string timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        _definition = Copy(timeZone: timeZone);
        return this;
    }

    /// <summary>Gives every job this payload, serialized with the queue's JSON options when the host starts.</summary>
    /// <typeparam name="TPayload">The payload type the handler reads.</typeparam>
    /// <param name="payload">The payload.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder WithPayload<TPayload>(TPayload payload)
    {
        _payload = json => JsonSerializer.Serialize(payload, json);
        return this;
    }

    /// <summary>Gives every job this payload, as JSON text stored as it is.</summary>
    /// <param name="payloadJson">The JSON text.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder WithPayloadJson(string payloadJson)
    {
        ArgumentNullException.ThrowIfNull(payloadJson);
        _payload = _ => payloadJson;
        return this;
    }

    /// <summary>Sends the jobs to a queue other than <c>"default"</c>.</summary>
    /// <param name="queue">The queue name.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder OnQueue(string queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _definition = Copy(queue: queue);
        return this;
    }

    /// <summary>Sets the jobs' priority.</summary>
    /// <param name="priority">The priority; lower runs first under the priority strategy.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder WithPriority(int priority)
    {
        _definition = Copy(priority: priority);
        return this;
    }

    /// <summary>Sets the attempts each job is allowed.</summary>
    /// <param name="maxAttempts">From 1 to 1000.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder WithMaxAttempts(int maxAttempts)
    {
        _definition = Copy(maxAttempts: maxAttempts);
        return this;
    }

    /// <summary>Sets each attempt's time limit.</summary>
    /// <param name="timeout">Greater than zero and at most 7 days.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder WithTimeout(TimeSpan timeout)
    {
        _definition = Copy(timeout: timeout);
        return this;
    }

    /// <summary>Sets what happens to occurrences missed while no process could fire them.</summary>
    /// <param name="policy">The policy; the default is <see cref="Misfire.RunOnce"/>.</param>
    /// <param name="grace">How late an occurrence may fire and still count as on time; null keeps the default of 1 minute.</param>
    /// <param name="maxCatchUp">Under <see cref="Misfire.RunAll"/>, the most missed occurrences fired at once; null keeps the default of 100.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder OnMisfire(Misfire policy, TimeSpan? grace = null, int? maxCatchUp = null)
    {
        _definition = Copy(misfire: policy, grace: grace, maxCatchUp: maxCatchUp);
        return this;
    }

    /// <summary>Sets what happens to an occurrence while the schedule's earlier jobs are live.</summary>
    /// <param name="policy">The policy; the default is <see cref="Overlap.Skip"/>.</param>
    /// <returns>This builder.</returns>
    public RecurringJobBuilder WithOverlap(Overlap policy)
    {
        _definition = Copy(overlap: policy);
        return this;
    }

    internal RecurringJobDefinition Build(JsonSerializerOptions json) =>
        _payload is null ? _definition : Copy(payloadJson: _payload(json));

    private RecurringJobDefinition Copy(
        string? timeZone = null, string? payloadJson = null, string? queue = null, int? priority = null, int? maxAttempts = null,
        TimeSpan? timeout = null, Misfire? misfire = null, TimeSpan? grace = null, int? maxCatchUp = null, Overlap? overlap = null)
    {
        var d = _definition;
        return new RecurringJobDefinition(d.Name, d.JobType, d.Schedule)
        {
            TimeZone = timeZone ?? d.TimeZone,
            PayloadJson = payloadJson ?? d.PayloadJson,
            Queue = queue ?? d.Queue,
            Priority = priority ?? d.Priority,
            MaxAttempts = maxAttempts ?? d.MaxAttempts,
            Timeout = timeout ?? d.Timeout,
            Misfire = misfire ?? d.Misfire,
            MisfireGrace = grace ?? d.MisfireGrace,
            MaxCatchUp = maxCatchUp ?? d.MaxCatchUp,
            Overlap = overlap ?? d.Overlap,
        };
    }
}
