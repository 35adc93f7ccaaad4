using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SqliteQueue.Retry;
using SqliteQueue.Scheduling;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Conformance;

/// <summary>
/// The base of every conformance suite: a fresh store of kind <typeparamref name="TStore"/> per test, a manual clock,
/// and the queue over them, reached only through the public API.
/// </summary>
public abstract class ConformanceTest<TStore> : IAsyncLifetime
    where TStore : StoreKind, new()
{
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private readonly List<IAsyncDisposable> _owned = [];
    private Action<SqliteQueueOptions>? _pointAtStore;
    private SqliteJobQueue? _queue;

    protected TStore Store { get; } = new();

    protected ManualTimeProvider Time { get; } = new();

    protected DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>
    /// Created on first use, so a hosted test whose host opens the store itself does not hold a second writer on it.
    /// </summary>
    protected SqliteJobQueue Queue => _queue ??= new SqliteJobQueue(NewOptions(), Time);

    protected IQueueClient Client => Queue.Client;

    /// <summary>Settings every queue of the suite gets on top of the store's; the host and the plain queue alike.</summary>
    protected virtual void Configure(SqliteQueueOptions options)
    {
    }

    protected SqliteQueueOptions NewOptions()
    {
        var options = new SqliteQueueOptions();
        ConfigureOptions(options);
        return options;
    }

    protected void ConfigureOptions(SqliteQueueOptions options)
    {
        (_pointAtStore ?? throw new InvalidOperationException("The store is made in InitializeAsync."))(options);
        Configure(options);
    }

    protected IWorker NewWorker(
        string? id = null,
        IReadOnlyList<string>? queues = null,
        ISchedulingStrategy? strategy = null,
        TimeSpan? lease = null,
        IBackoffPolicy? backoff = null) =>
        Queue.Create(new WorkerOptions
        {
            WorkerId = id,
            Queues = queues ?? [QueueNames.Default],
            Strategy = strategy,
            LeaseDuration = lease ?? Lease,
            BackoffPolicy = backoff,
        });

    protected async Task<JobInfo> JobAsync(long id) =>
        await Client.GetJobAsync(id) ?? throw new InvalidOperationException($"Job {id} does not exist.");

    /// <summary>Claims one job with <paramref name="worker"/>, failing the test when there is none.</summary>
    protected static async Task<ClaimedJob> ClaimOneAsync(IWorker worker)
    {
        var claimed = await worker.ClaimAsync();
        claimed.Should().ContainSingle("a runnable job was expected");
        return claimed[0];
    }

    /// <summary>
    /// Builds and starts a generic host over this test's store with the conformance handler and one hosted worker
    /// group; the test's manual clock is the host's clock.
    /// </summary>
    protected async Task<ConformanceHost> StartHostAsync(
        HostProbe probe,
        Action<QueueWorkerOptions>? worker = null,
        Action<SqliteQueueOptions>? options = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(Time);
        builder.Services.AddSingleton(probe);
        builder.Services.AddSqliteQueue(o =>
            {
                ConfigureOptions(o);
                options?.Invoke(o);
            })
            .AddHandler<ConformanceWork, ConformanceHandler>(ConformanceHandler.JobType)
            .ConfigureMaintenance(o => o.Enabled = false)
            .AddWorker(o =>
            {
                o.WorkerId = "hosted";
                o.LeaseDuration = Lease;
                worker?.Invoke(o);
            });
        var host = new ConformanceHost(builder.Build(), Time);
        _owned.Add(host);
        await host.StartAsync();
        return host;
    }

    public async Task InitializeAsync() => _pointAtStore = await Store.CreateStoreAsync();

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        if (_queue is not null)
        {
            await _queue.DisposeAsync();
        }

        await Store.DisposeAsync();
    }
}

/// <summary>A backoff that always waits the same time, so retry times can be asserted exactly.</summary>
public sealed class FixedBackoff(TimeSpan delay) : IBackoffPolicy
{
    public TimeSpan NextDelay(int attempt) => delay;
}

/// <summary>A backoff of <c>attempt</c> times a step, so a test can see which attempt number the store passed.</summary>
public sealed class LinearBackoff(TimeSpan step) : IBackoffPolicy
{
    public TimeSpan NextDelay(int attempt) => step * attempt;
}

public sealed record ConformanceWork(int N);

/// <summary>What the conformance handler does, set by each test, and what it saw.</summary>
public sealed class HostProbe
{
    public Func<JobContext<ConformanceWork>, CancellationToken, Task> Run { get; set; } = (_, _) => Task.CompletedTask;

    public System.Collections.Concurrent.ConcurrentQueue<(long JobId, int Attempt)> Started { get; } = new();

    public System.Collections.Concurrent.ConcurrentQueue<long> TokenFired { get; } = new();
}

public sealed class ConformanceHandler(HostProbe probe) : IJobHandler<ConformanceWork>
{
    public const string JobType = "work";

    public async Task HandleAsync(JobContext<ConformanceWork> job, CancellationToken cancellationToken)
    {
        probe.Started.Enqueue((job.JobId, job.Attempt));
        using var registration = cancellationToken.Register(() => probe.TokenFired.Enqueue(job.JobId));
        await probe.Run(job, cancellationToken);
    }
}

/// <summary>A started host that stops itself on dispose, moving the manual clock past any shutdown wait.</summary>
public sealed class ConformanceHost(IHost host, ManualTimeProvider time) : IAsyncDisposable
{
    private bool _stopped;

    public IServiceProvider Services => host.Services;

    public IQueueClient Client => Services.GetRequiredService<IQueueClient>();

    public Task StartAsync() => host.StartAsync();

    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;

        // Shutdown waits on the host's clock, which only moves when told to.
        var stop = host.StopAsync();
        for (var i = 0; i < 1000 && !stop.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.WhenAny(stop, Task.Delay(5));
        }

        await stop.WaitAsync(Eventually.Bound);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        host.Dispose();
    }
}
