using System.Text.Json;

namespace SqliteQueue.Internal.Processing;

/// <summary>Runs a job's handler inside the middleware registered in the container, outermost first.</summary>
internal sealed class HandlerPipeline
{
    /// <summary>No middleware: the handler is called directly.</summary>
    public static HandlerPipeline Empty { get; } = new([]);

    private readonly object[] _middleware;

    private HandlerPipeline(object[] middleware) => _middleware = middleware;

    public Task InvokeAsync(
        HandlerRegistration registration, IServiceProvider services, ClaimedJob job, string workerId, JsonSerializerOptions json, CancellationToken cancellationToken) =>
        _middleware.Length == 0
            ? registration.Invoke(services, job, workerId, json, cancellationToken)
            : throw new NotSupportedException("Handler middleware is not wired yet.");
}
