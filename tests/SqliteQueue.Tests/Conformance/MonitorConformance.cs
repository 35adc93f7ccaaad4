using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SqliteQueue.Monitoring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Conformance;

public abstract class MonitorConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    private static readonly TimeSpan Beat = TimeSpan.FromSeconds(10);

    // Figures that a given test does not look at are turned off, so its report says only what it is about. The
    // integrity check is a file's, and is not judged here.
    private static QueueHealthOptions Only(Action<QueueHealthOptions>? set = null)
    {
        var options = new QueueHealthOptions
        {
            MaxOldestRunnableAge = null,
            MaxDeadPerHour = null,
            MinLiveWorkers = null,
            MaxWalSize = null,
            MaxIntegrityCheckAge = null,
            MaxBrokenRecurringJobs = null,
            MaxMaintenanceAge = null,
        };
        set?.Invoke(options);
        return options;
    }

    [Fact]
    public async Task A_hosted_worker_is_listed_with_its_queues_and_concurrency_until_it_stops()
    {
        var host = await StartHostAsync(new HostProbe(), o =>
        {
            o.Queues = ["mail", "sms"];
            o.Concurrency = 3;
        });
        var monitor = host.Services.GetRequiredService<IQueueMonitor>();

        await Eventually.TrueAsync(async () => (await monitor.ListWorkersAsync()).Count == 1, "the worker registers when it starts");
        var worker = (await monitor.ListWorkersAsync()).Single();
        worker.Id.Should().Be("hosted");
        worker.Queues.Should().Equal("mail", "sms");
        worker.Concurrency.Should().Be(3);
        worker.ProcessId.Should().Be(Environment.ProcessId);
        worker.StartedAt.Should().Be(Now);
        worker.ExpiresAt.Should().BeAfter(Now);

        await host.StopAsync();

        (await monitor.ListWorkersAsync()).Should().BeEmpty("a graceful stop deletes the worker's row");
    }

    [Fact]
    public async Task A_worker_that_stopped_beating_leaves_listings_at_its_expiry_and_its_row_is_swept_by_the_next_beat()
    {
        // The stalled process runs on a clock of its own that never moves after it registered: it never beats again.
        var stalledClock = new ManualTimeProvider(Now);
        await using var stalled = await StartOwnHostAsync("stalled", stalledClock);
        var stalledMonitor = stalled.Services.GetRequiredService<IQueueMonitor>();
        await Eventually.TrueAsync(async () => (await stalledMonitor.ListWorkersAsync()).Any(w => w.Id == "stalled"), "the stalled worker registered");

        var host = await StartHostAsync(new HostProbe());
        var monitor = host.Services.GetRequiredService<IQueueMonitor>();
        await Eventually.TrueAsync(async () => (await monitor.ListWorkersAsync()).Select(w => w.Id).SequenceEqual(["hosted", "stalled"]), "both are live, in id order");

        // A beat at a time until one comes after the stalled row's expiry (three beats) and sweeps it: the stalled
        // clock would still list the row, so only its deletion takes it out of that listing.
        await Eventually.TrueAsync(async () =>
        {
            Time.Advance(Beat);
            return (await stalledMonitor.ListWorkersAsync()).All(w => w.Id != "stalled");
        }, "a live worker's beat deleted the expired row");
        (await monitor.ListWorkersAsync()).Select(w => w.Id).Should().Equal("hosted");
        (await monitor.CheckHealthAsync(Only())).Data[QueueHealthFigures.LiveWorkers].Should().Be(1L);
    }

    [Fact]
    public async Task A_store_not_yet_opened_is_unhealthy_and_a_check_does_not_create_its_schema()
    {
        // A memory database exists only once its queue opens it, and a check has no other connection to read on.
        if (Store is SqliteMemoryStore)
        {
            return;
        }

        var report = await Queue.Monitor.CheckHealthAsync(Only());

        report.Status.Should().Be(QueueHealthStatus.Unhealthy);
        report.Problems.Should().ContainSingle().Which.Figure.Should().Be(QueueHealthFigures.SchemaVersion);
        (await Queue.Monitor.CheckHealthAsync(Only())).Status.Should().Be(QueueHealthStatus.Unhealthy, "the check itself migrated nothing");

        await Client.CountActiveAsync();
        (await Queue.Monitor.CheckHealthAsync(Only())).Status.Should().Be(QueueHealthStatus.Healthy, "the first use migrates");
    }

    [Fact]
    public async Task A_store_with_nothing_wrong_is_healthy_and_reports_its_figures()
    {
        await Client.CountActiveAsync();
        var report = await Queue.Monitor.CheckHealthAsync(Only(o =>
        {
            o.MaxOldestRunnableAge = TimeSpan.FromMinutes(5);
            o.MaxDeadPerHour = 10;
        }));

        report.Status.Should().Be(QueueHealthStatus.Healthy, report.ToString());
        report.CheckedAt.Should().Be(Now);
        report.Data[QueueHealthFigures.StoreReachable].Should().Be(true);
        report.Data[QueueHealthFigures.RunnableJobs].Should().Be(0L);
        report.Data[QueueHealthFigures.DeadLastHour].Should().Be(0L);
        report.Data[QueueHealthFigures.LiveWorkers].Should().Be(0L);

        // The store's own schema version, whatever the store: a current one is what this library writes there.
        report.Data[QueueHealthFigures.SchemaVersion].Should().Be(report.Data[QueueHealthFigures.SchemaVersionExpected]);
    }

    [Fact]
    public async Task A_queue_whose_oldest_runnable_job_waited_longer_than_allowed_is_degraded()
    {
        await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "slow" });
        await Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "slow" });
        await Client.EnqueueAsync("t", 3, new EnqueueOptions { Queue = "slow", Delay = TimeSpan.FromHours(1) });
        var options = Only(o => o.MaxOldestRunnableAge = TimeSpan.FromMinutes(5));

        Time.Advance(TimeSpan.FromMinutes(5));
        var onTime = await Queue.Monitor.CheckHealthAsync(options);
        onTime.Status.Should().Be(QueueHealthStatus.Healthy, "five minutes is not longer than five minutes");
        onTime.Data[QueueHealthFigures.RunnableJobs].Should().Be(2L, "a delayed job is not runnable yet");

        Time.Advance(TimeSpan.FromSeconds(1));
        var late = await Queue.Monitor.CheckHealthAsync(options);
        late.Status.Should().Be(QueueHealthStatus.Degraded);
        late.Problems.Should().ContainSingle().Which.Figure.Should().Be(QueueHealthFigures.OldestRunnableAge + ":slow");
        late.Data[QueueHealthFigures.OldestRunnableAge + ":slow"].Should().Be(301.0);
    }

    [Fact]
    public async Task More_jobs_dead_in_the_last_hour_than_allowed_is_degraded_until_they_age_out()
    {
        var ids = await Client.EnqueueManyAsync("t", Enumerable.Range(0, 3), new EnqueueOptions { MaxAttempts = 1 });
        var worker = NewWorker();
        foreach (var job in await worker.ClaimAsync(3))
        {
            await worker.FailAsync(job, "broken");
        }

        ids.Should().HaveCount(3);
        (await Queue.Monitor.CheckHealthAsync(Only(o => o.MaxDeadPerHour = 3))).Status.Should().Be(QueueHealthStatus.Healthy, "three is not more than three");
        var report = await Queue.Monitor.CheckHealthAsync(Only(o => o.MaxDeadPerHour = 2));
        report.Status.Should().Be(QueueHealthStatus.Degraded);
        report.Problems.Should().ContainSingle().Which.Figure.Should().Be(QueueHealthFigures.DeadLastHour);
        report.Data[QueueHealthFigures.DeadLastHour].Should().Be(3L);

        Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(1));
        var later = await Queue.Monitor.CheckHealthAsync(Only(o => o.MaxDeadPerHour = 2));
        later.Status.Should().Be(QueueHealthStatus.Healthy);
        later.Data[QueueHealthFigures.DeadLastHour].Should().Be(0L);
    }

    [Fact]
    public async Task Fewer_live_workers_than_expected_and_no_recorded_maintenance_are_degraded()
    {
        await Client.CountActiveAsync();
        var report = await Queue.Monitor.CheckHealthAsync(Only(o =>
        {
            o.MinLiveWorkers = 1;
            o.MaxMaintenanceAge = TimeSpan.FromHours(1);
        }));

        report.Status.Should().Be(QueueHealthStatus.Degraded);
        report.Problems.Select(p => p.Figure).Should().BeEquivalentTo([QueueHealthFigures.LiveWorkers, QueueHealthFigures.MaintenanceAge]);

        await Queue.Maintenance.PruneAsync();
        Time.Advance(TimeSpan.FromMinutes(30));
        var afterPrune = await Queue.Monitor.CheckHealthAsync(Only(o => o.MaxMaintenanceAge = TimeSpan.FromHours(1)));
        afterPrune.Status.Should().Be(QueueHealthStatus.Healthy, afterPrune.ToString());
        afterPrune.Data[QueueHealthFigures.MaintenanceAge].Should().Be(1800.0);
    }

    [Fact]
    public async Task Throughput_counts_completed_and_failed_attempts_per_minute_with_empty_minutes_filled()
    {
        var start = Now;
        await Client.EnqueueManyAsync("t", Enumerable.Range(0, 4), new EnqueueOptions { MaxAttempts = 2 });
        var worker = NewWorker(backoff: new FixedBackoff(TimeSpan.FromMinutes(10)));
        var jobs = await worker.ClaimAsync(4);
        jobs.Should().HaveCount(4);
        Time.Advance(TimeSpan.FromSeconds(5));
        await worker.CompleteAsync(jobs[0]);
        await worker.CompleteAsync(jobs[1]);
        await worker.FailAsync(jobs[2], "retried later");
        await worker.ReleaseAsync(jobs[3]);
        Time.Advance(TimeSpan.FromMinutes(2));
        var last = await worker.ClaimAsync();
        await worker.FailAsync(last.Single(), "permanent", permanent: true);

        var buckets = await Queue.Monitor.GetThroughputAsync(start, TimeSpan.FromMinutes(1));

        buckets.Should().Equal(
            new ThroughputBucket(start, 2, 1),
            new ThroughputBucket(start.AddMinutes(1), 0, 0),
            new ThroughputBucket(start.AddMinutes(2), 0, 1));
        var wide = await Queue.Monitor.GetThroughputAsync(start, TimeSpan.FromMinutes(5));
        wide.Should().Equal(new ThroughputBucket(start, 2, 2));
    }

    /// <summary>A host of its own on <paramref name="clock"/>, over this test's store, with one worker group.</summary>
    private async Task<ConformanceHost> StartOwnHostAsync(string workerId, ManualTimeProvider clock)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton(new HostProbe());
        builder.Services.AddSqliteQueue(ConfigureOptions)
            .AddHandler<ConformanceWork, ConformanceHandler>(ConformanceHandler.JobType)
            .ConfigureMaintenance(o => o.Enabled = false)
            .AddWorker(o =>
            {
                o.WorkerId = workerId;
                o.Queues = ["elsewhere"];
            });
        var host = new ConformanceHost(builder.Build(), clock);
        await host.StartAsync();
        return host;
    }
}

public sealed class MonitorConformanceOnSqliteFile : MonitorConformance<SqliteFileStore>;

public sealed class MonitorConformanceOnSqliteMemory : MonitorConformance<SqliteMemoryStore>;

public sealed class MonitorConformanceOnPostgreSql : MonitorConformance<PostgreSqlStore>;
