namespace SqliteQueue;

/// <summary>
/// Code that runs around every handler invocation of the hosted workers (added with
/// <see cref="SqliteQueueBuilder.AddWorker"/>), to time, log, trace, set an ambient context or translate exceptions.
/// Register it with <see cref="SqliteQueueBuilder.AddMiddleware{TMiddleware}"/>; it is resolved from the job's
/// dependency-injection scope, so a middleware registered by that call (scoped) gets a new instance for every job.
/// </summary>
/// <remarks>
/// Middleware runs in registration order, the first registered outermost. The job settles by what the outermost
/// middleware's task does, exactly as it would by the handler's: completing it completes the job (whether or not
/// <c>next</c> was called, and even if the handler's exception was caught); throwing fails the attempt, and
/// <see cref="PermanentJobFailureException"/> dead-letters the job at once.
/// </remarks>
public interface IJobMiddleware
{
    /// <summary>Runs around the rest of the pipeline: the middleware registered after this one, then the handler.</summary>
    /// <param name="context">The job, its scope, its token and a bag for passing data inward.</param>
    /// <param name="next">
    /// The rest of the pipeline. Call it with <paramref name="context"/> to run the handler; it reads the payload, so a
    /// payload that does not fit fails inside it with a <see cref="PermanentJobFailureException"/>.
    /// </param>
    /// <returns>A task that ends when the job's work is done; its outcome settles the job.</returns>
#pragma warning disable CA1716 // "next" is what every middleware pipeline calls it (ASP.NET Core's IMiddleware too); VB callers use [next].
    Task InvokeAsync(JobMiddlewareContext context, JobMiddlewareDelegate next);
#pragma warning restore CA1716
}

/// <summary>The rest of the handler pipeline, as seen by one middleware.</summary>
/// <param name="context">The context the middleware received: pass it on unchanged.</param>
/// <returns>A task that ends when the rest of the pipeline, the handler included, has run.</returns>
public delegate Task JobMiddlewareDelegate(JobMiddlewareContext context);
