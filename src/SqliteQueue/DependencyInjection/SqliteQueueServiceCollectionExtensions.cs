using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Processing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SqliteQueue.DependencyInjection;
using SqliteQueue.Events;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Recurring;
using SqliteQueue.Maintenance;
using SqliteQueue.Monitoring;
using SqliteQueue.Recurring;
using SqliteQueue.Scheduling;

namespace SqliteQueue;

/// <summary>Registers SqliteQueue in a service collection.</summary>
public static class SqliteQueueServiceCollectionExtensions
{
    /// <summary>
    /// Registers the queue store (<see cref="SqliteJobQueue"/>), <see cref="IQueueClient"/>, <see cref="IWorkerFactory"/>,
    /// <see cref="IRecurringJobs"/>, <see cref="IQueueMaintenance"/>, <see cref="IQueueMonitor"/> and validated <see cref="SqliteQueueOptions"/>, and
    /// the hosted maintenance (see <see cref="SqliteQueueBuilder.ConfigureMaintenance"/>). Calling it again only adds configuration.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options, at least <see cref="SqliteQueueOptions.ConnectionString"/>.</param>
    /// <returns>A builder for further queue configuration.</returns>
    public static SqliteQueueBuilder AddSqliteQueue(this IServiceCollection services, Action<SqliteQueueOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        services.AddOptions<SqliteQueueOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteQueueOptions>, SqliteQueueOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var queue = new SqliteJobQueue(
                sp.GetRequiredService<IOptions<SqliteQueueOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>(),
                sp.GetService<IMeterFactory>());

            // Resolved at the first event, not now: an observer that takes IQueueClient or SqliteJobQueue would
            // otherwise need the queue to build the queue. Without any registered, events cost nothing.
            if (sp.GetService<IServiceProviderIsService>()?.IsService(typeof(IJobObserver)) != false)
            {
                queue.Store.Events.SubscribeDeferred(() => sp.GetServices<IJobObserver>());
            }

            return queue;
        });
        services.TryAddSingleton(sp => sp.GetRequiredService<SqliteJobQueue>().Client);
        services.TryAddSingleton<IWorkerFactory>(sp => sp.GetRequiredService<SqliteJobQueue>());
        services.TryAddSingleton(sp => sp.GetRequiredService<SqliteJobQueue>().Recurring);
        services.TryAddSingleton(sp => sp.GetRequiredService<SqliteJobQueue>().Maintenance);
        services.TryAddSingleton(sp => sp.GetRequiredService<SqliteJobQueue>().Monitor);
        var builder = new SqliteQueueBuilder(services);
        builder.AddMaintenance();
        return builder;
    }
}

/// <summary>Further configuration of the queue registered by <see cref="SqliteQueueServiceCollectionExtensions.AddSqliteQueue"/>.</summary>
public sealed class SqliteQueueBuilder
{
    internal SqliteQueueBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the queue is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers the handler for one job type. The handler is resolved in a new scope for every job; its payload
    /// type is chosen by this registration, never by anything stored in the database.
    /// </summary>
    /// <typeparam name="TPayload">The payload type the job's JSON is read into.</typeparam>
    /// <typeparam name="THandler">The handler.</typeparam>
    /// <param name="jobType">The job type name, as passed to enqueue. 1 to 200 characters, at least one of them visible (not only white space or invisible characters), no control characters.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">A handler is already registered for <paramref name="jobType"/>.</exception>
    public SqliteQueueBuilder AddHandler<TPayload, THandler>(string jobType)
        where THandler : class, IJobHandler<TPayload>
    {
        Guard.Name(jobType, "job type", nameof(jobType));
        var existing = Services
            .Where(d => d.ServiceType == typeof(HandlerRegistration))
            .Select(d => d.ImplementationInstance as HandlerRegistration)
            .FirstOrDefault(r => r?.JobType == jobType);
        if (existing is not null)
        {
            throw new InvalidOperationException(
                $"Job type '{jobType}' already has a handler ({existing.HandlerType.Name}); {typeof(THandler).Name} cannot be added for it. Register one handler per job type.");
        }

        Services.TryAddScoped<THandler>();
        Services.AddSingleton(HandlerRegistration.For<TPayload, THandler>(jobType));
        Services.TryAddSingleton(sp => new HandlerRegistry(sp.GetServices<HandlerRegistration>()));
        return this;
    }

    /// <summary>
    /// Adds a hosted worker group that claims from its queues and runs the registered handlers for the lifetime of
    /// the host. Call it once per group; groups may differ in queues, strategy and concurrency.
    /// </summary>
    /// <param name="configure">Sets the group's options; the defaults serve the <c>"default"</c> queue with concurrency 4.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="OptionsValidationException">An option is out of range; the message names it.</exception>
    public SqliteQueueBuilder AddWorker(Action<QueueWorkerOptions>? configure = null)
    {
        var options = new QueueWorkerOptions();
        configure?.Invoke(options);
        QueueWorkerOptionsValidator.ThrowIfInvalid(options);

        Services.TryAddSingleton(sp => new HandlerRegistry(sp.GetServices<HandlerRegistration>()));
        AddRecurringScheduler();
        Services.AddSingleton<IHostedService>(sp => new QueueWorkerHostedService(new JobProcessor(
            sp.GetRequiredService<SqliteJobQueue>(),
            sp.GetRequiredService<HandlerRegistry>(),
            sp.GetRequiredService<IServiceScopeFactory>(),
            options,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            sp.GetService<HandlerPipeline>())));
        return this;
    }

    /// <summary>
    /// Registers an observer of the lifecycle of jobs in this process (enqueued, started, completed, failed, dead,
    /// cancelled) as a singleton; see <see cref="IJobObserver"/> for when it is called.
    /// </summary>
    /// <typeparam name="TObserver">The observer.</typeparam>
    /// <returns>This builder.</returns>
    /// <remarks>
    /// Observers registered in the container are resolved once, when the first event is raised, so an observer may take
    /// <see cref="IQueueClient"/> or <see cref="SqliteJobQueue"/> in its constructor. They are called in registration
    /// order, before those added with <see cref="SqliteJobQueue.Subscribe"/>. Adding the same type again changes nothing.
    /// </remarks>
    public SqliteQueueBuilder AddObserver<TObserver>()
        where TObserver : class, IJobObserver
    {
        // The factory's exact type marks the registration (not "is": delegates are covariant, and a derived observer's
        // registration must not hide its base's), so a second call finds it.
        if (!Services.Any(d => d.ServiceType == typeof(IJobObserver) && !d.IsKeyedService && d.ImplementationFactory?.GetType() == typeof(Func<IServiceProvider, TObserver>)))
        {
            Services.TryAddSingleton<TObserver>();
            Services.AddSingleton<IJobObserver, TObserver>(static sp => sp.GetRequiredService<TObserver>());
        }

        return this;
    }

    /// <summary>
    /// Registers an observer instance of the lifecycle of jobs in this process; see <see cref="IJobObserver"/> for when
    /// it is called, and <see cref="AddObserver{TObserver}"/> for the order. Adding the same instance again changes nothing.
    /// </summary>
    /// <param name="observer">The observer.</param>
    /// <returns>This builder.</returns>
    public SqliteQueueBuilder AddObserver(IJobObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        if (!Services.Any(d => d.ServiceType == typeof(IJobObserver) && !d.IsKeyedService && ReferenceEquals(d.ImplementationInstance, observer)))
        {
            Services.AddSingleton(observer);
        }

        return this;
    }

    /// <summary>
    /// Adds a middleware around every handler invocation of the hosted workers (<see cref="AddWorker"/>). Middleware
    /// runs in the order added, the first outermost; see <see cref="IJobMiddleware"/> for how its outcome settles the job.
    /// </summary>
    /// <typeparam name="TMiddleware">
    /// The middleware, resolved from each job's scope: registered scoped unless the application registered it first
    /// (register it as a singleton yourself to share one instance, which must then be thread-safe).
    /// </typeparam>
    /// <returns>This builder.</returns>
    /// <remarks>Adding the same type again changes nothing: it keeps its first place.</remarks>
    public SqliteQueueBuilder AddMiddleware<TMiddleware>()
        where TMiddleware : class, IJobMiddleware
    {
        if (!Services.Any(d => d.ImplementationInstance is MiddlewareRegistration { MiddlewareType: var type } && type == typeof(TMiddleware)))
        {
            Services.TryAddScoped<TMiddleware>();
            AddMiddlewareRegistration(MiddlewareRegistration.Of<TMiddleware>());
        }

        return this;
    }

    /// <summary>
    /// Adds a middleware function around every handler invocation of the hosted workers (<see cref="AddWorker"/>), in
    /// the order added with the middleware types; see <see cref="IJobMiddleware"/> for how its outcome settles the job.
    /// </summary>
    /// <param name="middleware">
    /// The middleware: given the context and the rest of the pipeline, it returns the task of its work, calling
    /// <c>next(context)</c> to run the handler. It is shared by all jobs, so it must be thread-safe; resolve per-job
    /// services from <see cref="JobMiddlewareContext.Services"/>.
    /// </param>
    /// <returns>This builder.</returns>
    public SqliteQueueBuilder AddMiddleware(Func<JobMiddlewareContext, JobMiddlewareDelegate, Task> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        AddMiddlewareRegistration(MiddlewareRegistration.Of(middleware));
        return this;
    }

    private void AddMiddlewareRegistration(MiddlewareRegistration registration)
    {
        // Registered as instances, so the container hands them back in the order added.
        Services.AddSingleton(registration);
        Services.TryAddSingleton(sp => new HandlerPipeline(sp.GetServices<MiddlewareRegistration>()));
    }

    /// <summary>Sets the strategy workers use unless their own options name one.</summary>
    /// <param name="strategy">The strategy, such as <see cref="SchedulingStrategies.Priority"/>.</param>
    /// <returns>This builder.</returns>
    public SqliteQueueBuilder UseSchedulingStrategy(ISchedulingStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        Services.Configure<SqliteQueueOptions>(o => o.DefaultStrategy = strategy);
        return this;
    }

    /// <summary>
    /// Declares a recurring job: at each occurrence of <paramref name="schedule"/>, a <paramref name="jobType"/> job is
    /// enqueued. When the host starts, the declared schedules are synced into the queue file (new ones added, changed
    /// ones updated without firing an occurrence twice, ones no longer declared removed), and this host's scheduler
    /// fires them; any number of processes may do the same on one file, and each occurrence fires once.
    /// </summary>
    /// <param name="name">The schedule's stable name, its key in the file: 1 to 200 characters, at least one visible, no control characters.</param>
    /// <param name="jobType">The job type each occurrence enqueues.</param>
    /// <param name="schedule">
    /// A cron expression (<c>"0 9 * * *"</c>; 6 fields with seconds first; macros such as <c>@daily</c>) or an interval
    /// (<c>"every 30 minutes"</c>, <c>"every 1 day at 09:00"</c>); see <see cref="RecurringSchedule.Parse(string, string)"/>.
    /// </param>
    /// <param name="configure">Sets the time zone, payload, queue and policies; the defaults are UTC, <c>{}</c>, <c>"default"</c>, <see cref="Misfire.RunOnce"/> and <see cref="Overlap.Skip"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">A value is invalid, such as a schedule or time zone that cannot be read; the message names it.</exception>
    /// <exception cref="InvalidOperationException">A recurring job with this name is already declared.</exception>
    public SqliteQueueBuilder AddRecurringJob(string name, string jobType, string schedule, Action<RecurringJobBuilder>? configure = null)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        Guard.Name(jobType, "job type", nameof(jobType));
        ArgumentNullException.ThrowIfNull(schedule);
        RecurringSchedule.Parse(schedule, "UTC", jitterSeed: name);

        var builder = new RecurringJobBuilder(name, jobType, schedule);
        configure?.Invoke(builder);

        // Checked now, so a bad declaration fails where it is written; the payload is serialized again at start
        // with the queue's own JSON options.
        RecurringSpec.Validate(builder.Build(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)), int.MaxValue, DateTimeOffset.UnixEpoch, "definition");
        if (Services.Any(d => d.ImplementationInstance is RecurringDeclaration r && r.Name == name))
        {
            throw new InvalidOperationException($"Recurring job '{name}' is already declared; names must be unique.");
        }

        Services.AddSingleton(new RecurringDeclaration(name, builder));
        AddRecurringScheduler();
        return this;
    }

    /// <summary>Sets how this host treats recurring jobs: whether it removes schedules no longer declared, and whether it fires them.</summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder.</returns>
    public SqliteQueueBuilder ConfigureRecurringJobs(Action<RecurringSchedulerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddRecurringScheduler();
        var options = (RecurringSchedulerOptions)Services.First(d => d.ServiceType == typeof(RecurringSchedulerOptions)).ImplementationInstance!;
        configure(options);
        return this;
    }

    /// <summary>
    /// Sets what this host's maintenance does: retention, checkpoints, integrity checks, backups, or
    /// <see cref="MaintenanceOptions.Enabled"/> = <see langword="false"/> to run <see cref="IQueueMaintenance"/> by hand.
    /// One process per file runs it at a time, whichever hosts have it on.
    /// </summary>
    /// <param name="configure">Sets the options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="OptionsValidationException">An option is out of range; the message names it.</exception>
    public SqliteQueueBuilder ConfigureMaintenance(Action<MaintenanceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddMaintenance();
        var options = (MaintenanceOptions)Services.First(d => d.ServiceType == typeof(MaintenanceOptions)).ImplementationInstance!;
        configure(options);
        MaintenanceOptionsValidator.ThrowIfInvalid(options);
        return this;
    }

    /// <summary>Maintenance runs once per host, in every host of the queue unless turned off.</summary>
    internal void AddMaintenance()
    {
        if (Services.Any(d => d.ServiceType == typeof(MaintenanceOptions)))
        {
            return;
        }

        Services.AddSingleton(new MaintenanceOptions());
        Services.AddSingleton<IHostedService>(sp => new MaintenanceHostedService(
            sp.GetRequiredService<SqliteJobQueue>(),
            sp.GetRequiredService<MaintenanceOptions>()));
    }

    /// <summary>The scheduler runs once per host, in any host that declares a schedule or runs a worker.</summary>
    private void AddRecurringScheduler()
    {
        if (Services.Any(d => d.ServiceType == typeof(RecurringSchedulerOptions)))
        {
            return;
        }

        Services.AddSingleton(new RecurringSchedulerOptions());
        Services.AddSingleton<IHostedService>(sp => new RecurringHostedService(
            sp.GetRequiredService<SqliteJobQueue>(),
            sp.GetServices<RecurringDeclaration>(),
            sp.GetRequiredService<RecurringSchedulerOptions>()));
    }
}
