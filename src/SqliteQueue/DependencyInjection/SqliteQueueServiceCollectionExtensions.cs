using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Processing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SqliteQueue.DependencyInjection;
using SqliteQueue.Scheduling;

namespace SqliteQueue;

/// <summary>Registers SqliteQueue in a service collection.</summary>
public static class SqliteQueueServiceCollectionExtensions
{
    /// <summary>
    /// Registers the queue store (<see cref="SqliteJobQueue"/>), <see cref="IQueueClient"/>, <see cref="IWorkerFactory"/>
    /// and validated <see cref="SqliteQueueOptions"/>. Calling it again only adds configuration.
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
        services.TryAddSingleton(sp => new SqliteJobQueue(
            sp.GetRequiredService<IOptions<SqliteQueueOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<SqliteJobQueue>().Client);
        services.TryAddSingleton<IWorkerFactory>(sp => sp.GetRequiredService<SqliteJobQueue>());
        return new SqliteQueueBuilder(services);
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
        Services.AddSingleton<IHostedService>(sp => new QueueWorkerHostedService(new JobProcessor(
            sp.GetRequiredService<SqliteJobQueue>(),
            sp.GetRequiredService<HandlerRegistry>(),
            sp.GetRequiredService<IServiceScopeFactory>(),
            options,
            sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)));
        return this;
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
}
