using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqliteQueue.Events;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Processing;

namespace SqliteQueue.Tests.Extensibility;

/// <summary>
/// A generic host over a fresh queue file with the <see cref="WorkHandler"/> registered for <c>"work"</c> and a hosted
/// worker on the default queue, driven by a manual clock; every log entry is captured.
/// </summary>
public sealed class HostedQueue : IAsyncDisposable
{
    public const string WorkerId = "hosted";

    private readonly IHost _host;

    private HostedQueue(IHost host, TestDatabase db, LogCapture logs, Behavior behavior)
    {
        _host = host;
        Db = db;
        Logs = logs;
        Behavior = behavior;
    }

    public TestDatabase Db { get; }

    public ManualTimeProvider Time => Db.Time;

    public LogCapture Logs { get; }

    public Behavior Behavior { get; }

    public IServiceProvider Services => _host.Services;

    public IQueueClient Client => Services.GetRequiredService<IQueueClient>();

    public SqliteJobQueue Queue => Services.GetRequiredService<SqliteJobQueue>();

    /// <summary>Builds and starts the host; <paramref name="configure"/> adds middleware, observers or services.</summary>
    public static async Task<HostedQueue> StartAsync(Action<SqliteQueueBuilder>? configure = null, Action<IServiceCollection>? services = null, bool worker = true)
    {
        var db = new TestDatabase();
        var logs = new LogCapture();
        var behavior = new Behavior();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<ILoggerFactory>(logs);
        builder.Services.AddSingleton<TimeProvider>(db.Time);
        builder.Services.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>();
        services?.Invoke(builder.Services);
        var queue = builder.Services.AddSqliteQueue(o =>
            {
                o.ConnectionString = db.ConnectionString;
                o.BackoffPolicy = new SqliteQueue.Retry.ExponentialBackoff(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), new Random(1));
            })
            .AddHandler<Work, WorkHandler>("work")
            .ConfigureMaintenance(o => o.Enabled = false);
        configure?.Invoke(queue);
        if (worker)
        {
            queue.AddWorker(o => o.WorkerId = WorkerId);
        }

        var host = builder.Build();
        await host.StartAsync();
        return new HostedQueue(host, db, logs, behavior);
    }

    public Task<long> EnqueueAsync(int n = 1, EnqueueOptions? options = null) => Client.EnqueueAsync("work", new Work(n), options);

    /// <summary>Waits until the job is completed, dead or cancelled.</summary>
    public Task<JobInfo> FinishedAsync(long id) => Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound);

    /// <summary>Waits until a failed attempt has put the job back to pending, then moves the clock past its backoff.</summary>
    public async Task RetryAsync(long id, int failedAttempts)
    {
        await Eventually.TrueAsync(
            async () => await Client.GetJobAsync(id) is { State: JobState.Pending } job && job.Attempt == failedAttempts,
            $"attempt {failedAttempts} of job {id} failed and the job waits for its retry");
        Time.Advance(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        // Shutdown waits on the manual clock: move it past any shutdown timeout until the host has stopped.
        var stop = _host.StopAsync();
        for (var i = 0; i < 1000 && !stop.IsCompleted; i++)
        {
            Time.Advance(TimeSpan.FromMinutes(10));
            await Task.WhenAny(stop, Task.Delay(5));
        }

        await stop.WaitAsync(Eventually.Bound);
        _host.Dispose();
        await Db.DisposeAsync();
    }
}

/// <summary>Keeps every event it is given, in order.</summary>
public sealed class RecordingObserver : IJobObserver
{
    public ConcurrentQueue<JobEvent> Events { get; } = new();

    public IReadOnlyList<JobEvent> Of(long jobId) => [.. Events.Where(e => e.JobId == jobId)];

    public void OnJobEvent(JobEvent jobEvent) => Events.Enqueue(jobEvent);
}

/// <summary>A place middleware and handlers write what happened, in order.</summary>
public sealed class Trail
{
    public ConcurrentQueue<string> Steps { get; } = new();

    public void Add(string step) => Steps.Enqueue(step);
}
