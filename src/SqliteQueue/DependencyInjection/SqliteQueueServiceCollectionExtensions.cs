using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
