using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace SqliteQueue.Internal.Processing;

/// <summary>
/// Runs a job's handler inside the middleware registered in the container, outermost first. The chain of delegates
/// is built once; everything an invocation needs travels in its <see cref="JobMiddlewareContext"/>, so a middleware
/// may call <c>next</c> more than once (to retry in place, say) and an invocation allocates only its context.
/// </summary>
internal sealed class HandlerPipeline
{
    /// <summary>No middleware: the handler is called directly.</summary>
    public static HandlerPipeline Empty { get; } = new([]);

    private readonly JobMiddlewareDelegate? _entry;

    public HandlerPipeline(IEnumerable<MiddlewareRegistration> middleware)
    {
        var registrations = middleware.ToArray();
        Count = registrations.Length;
        if (registrations.Length == 0)
        {
            return;
        }

        JobMiddlewareDelegate next = InvokeHandlerAsync;
        for (var i = registrations.Length - 1; i >= 0; i--)
        {
            next = registrations[i].Wrap(next);
        }

        _entry = next;
    }

    /// <summary>How many middleware run around each handler.</summary>
    public int Count { get; }

    public Task InvokeAsync(
        HandlerRegistration registration, IServiceProvider services, ClaimedJob job, string workerId, JsonSerializerOptions json, CancellationToken cancellationToken) =>
        _entry is null
            ? registration.Invoke(services, job, workerId, json, cancellationToken)
            : _entry(new JobMiddlewareContext(registration, services, job, workerId, json, cancellationToken));

    /// <summary>The innermost step: the handler, with the payload read as it is without middleware.</summary>
    private static Task InvokeHandlerAsync(JobMiddlewareContext context)
    {
        EnsureOwn(context);
        return context.Registration!.Invoke(context.Services, context.Job!, context.WorkerId, context.Json, context.CancellationToken);
    }

    /// <summary>
    /// A context made by hand carries no handler: refusing it, rather than running the claimed job under facts that are
    /// not its own, keeps what the handler sees and what the job settles as one thing.
    /// </summary>
    internal static void EnsureOwn(JobMiddlewareContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Registration is null)
        {
            throw new InvalidOperationException(Errors.ForeignMiddlewareContext);
        }
    }
}

/// <summary>One <c>AddMiddleware</c> call: a middleware type resolved from the job's scope, or a function.</summary>
internal sealed class MiddlewareRegistration
{
    private MiddlewareRegistration(Type? middlewareType, Func<JobMiddlewareContext, JobMiddlewareDelegate, Task>? function)
    {
        MiddlewareType = middlewareType;
        Function = function;
    }

    /// <summary>The middleware type, for <c>AddMiddleware&lt;TMiddleware&gt;</c>; null for a function.</summary>
    public Type? MiddlewareType { get; }

    public Func<JobMiddlewareContext, JobMiddlewareDelegate, Task>? Function { get; }

    public static MiddlewareRegistration Of<TMiddleware>()
        where TMiddleware : class, IJobMiddleware => new(typeof(TMiddleware), null);

    public static MiddlewareRegistration Of(Func<JobMiddlewareContext, JobMiddlewareDelegate, Task> function) => new(null, function);

    /// <summary>This middleware around <paramref name="next"/>.</summary>
    public JobMiddlewareDelegate Wrap(JobMiddlewareDelegate next)
    {
        if (MiddlewareType is { } type)
        {
            return context =>
            {
                HandlerPipeline.EnsureOwn(context);
                var middleware = (IJobMiddleware)context.Services.GetRequiredService(type);
                return middleware.InvokeAsync(context, next) ?? throw new InvalidOperationException(Errors.MiddlewareReturnedNull(type.Name));
            };
        }

        var function = Function!;
        return context =>
        {
            HandlerPipeline.EnsureOwn(context);
            return function(context, next) ?? throw new InvalidOperationException(Errors.MiddlewareReturnedNull("(a function added with AddMiddleware)"));
        };
    }
}
