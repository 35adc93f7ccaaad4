using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteQueue.Internal.Processing;

namespace SqliteQueue.Tests.Infrastructure;

/// <summary>A queue file with handlers registered in a real service provider, and processors over it driven by a manual clock.</summary>
public sealed class RuntimeFixture : IAsyncDisposable
{
    private readonly List<(Task Run, CancellationTokenSource Stop)> _running = [];

    public RuntimeFixture(Action<SqliteQueueBuilder> register, Action<IServiceCollection>? services = null, Action<SqliteQueueOptions>? configure = null, LogCapture? logs = null)
    {
        Db = new TestDatabase(configure: configure);
        Logs = logs;
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(Db.Time);
        if (logs is not null)
        {
            collection.AddSingleton<ILoggerFactory>(logs);
        }

        services?.Invoke(collection);
        var builder = collection.AddSqliteQueue(o =>
        {
            o.ConnectionString = Db.ConnectionString;
            o.BackoffPolicy = new SqliteQueue.Retry.ExponentialBackoff(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), new Random(1));
            configure?.Invoke(o);
        });
        register(builder);
        Provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        Queue = Provider.GetRequiredService<SqliteJobQueue>();
    }

    public TestDatabase Db { get; }

    public ManualTimeProvider Time => Db.Time;

    /// <summary>Every log entry of the queue and its processors, when the fixture was given a capture.</summary>
    public LogCapture? Logs { get; }

    public ServiceProvider Provider { get; }

    public SqliteJobQueue Queue { get; }

    public IQueueClient Client => Queue.Client;

    internal JobProcessor Processor(Action<QueueWorkerOptions>? configure = null)
    {
        var options = new QueueWorkerOptions { WorkerId = "processor" };
        configure?.Invoke(options);
        var registry = Provider.GetService<HandlerRegistry>() ?? new HandlerRegistry([]);
        return new JobProcessor(Queue, registry, Provider.GetRequiredService<IServiceScopeFactory>(), options, (ILoggerFactory?)Logs ?? NullLoggerFactory.Instance);
    }

    /// <summary>Starts the processor's loop; it is stopped (gracefully) on dispose unless stopped before.</summary>
    internal (Task Run, CancellationTokenSource Stop) Start(JobProcessor processor)
    {
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => processor.RunAsync(stop.Token));
        _running.Add((run, stop));
        return (run, stop);
    }

    public async Task<JobInfo> JobAsync(long id) => (await Client.GetJobAsync(id))!;

    public async ValueTask DisposeAsync()
    {
        foreach (var (run, stop) in _running)
        {
            await stop.CancelAsync();

            // Shutdown waits on the manual clock; move it past any shutdown timeout.
            for (var i = 0; i < 1000 && !run.IsCompleted; i++)
            {
                Time.Advance(TimeSpan.FromMinutes(10));
                await Task.Delay(5);
            }

            await run.WaitAsync(Eventually.Bound);
            stop.Dispose();
        }

        await Provider.DisposeAsync();
        await Db.DisposeAsync();
    }
}
