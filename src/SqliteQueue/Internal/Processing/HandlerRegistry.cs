using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace SqliteQueue.Internal.Processing;

/// <summary>One <c>AddHandler</c> call: the job type name, and how to run a job of that type.</summary>
internal sealed class HandlerRegistration(string jobType, Type payloadType, Type handlerType, HandlerInvoker invoke)
{
    public string JobType { get; } = jobType;

    public Type PayloadType { get; } = payloadType;

    public Type HandlerType { get; } = handlerType;

    public HandlerInvoker Invoke { get; } = invoke;

    public static HandlerRegistration For<TPayload, THandler>(string jobType)
        where THandler : class, IJobHandler<TPayload> =>
        new(jobType, typeof(TPayload), typeof(THandler), static (services, job, workerId, json, cancellationToken) =>
        {
            TPayload payload;
            try
            {
                payload = JsonSerializer.Deserialize<TPayload>(job.PayloadJson, json)
                    ?? throw new JsonException("The payload is JSON null.");
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                // A payload that does not fit its type never will: retrying cannot help.
                throw new PermanentJobFailureException(
                    $"The payload of job {job.Id} does not fit {typeof(TPayload).Name}, the payload type registered for '{job.Type}': {ex.Message}", ex);
            }

            var handler = services.GetRequiredService<THandler>();
            return handler.HandleAsync(new JobContext<TPayload>(job, payload, workerId), cancellationToken);
        });
}

internal delegate Task HandlerInvoker(IServiceProvider services, ClaimedJob job, string workerId, JsonSerializerOptions json, CancellationToken cancellationToken);

/// <summary>The handlers registered in the container, by job type name. Payload types are never read from the database.</summary>
internal sealed class HandlerRegistry
{
    private readonly Dictionary<string, HandlerRegistration> _byType = new(StringComparer.Ordinal);

    public HandlerRegistry(IEnumerable<HandlerRegistration> registrations)
    {
        foreach (var registration in registrations)
        {
            if (!_byType.TryAdd(registration.JobType, registration))
            {
                throw new InvalidOperationException(
                    $"Job type '{registration.JobType}' has two handlers: {_byType[registration.JobType].HandlerType.Name} and {registration.HandlerType.Name}. Register one handler per job type.");
            }
        }

        JobTypes = [.. _byType.Keys.Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> JobTypes { get; }

    public bool TryGet(string jobType, out HandlerRegistration registration) => _byType.TryGetValue(jobType, out registration!);
}
