using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Diagnostics;
using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Processing;

namespace SqliteQueue.Tests.Diagnostics;

/// <summary>Each instrument of a store's meter: its name, unit, tags and values.</summary>
public sealed class MetricsTests
{
    private static RuntimeFixture Fixture(Behavior behavior) => new(
        q => q.AddHandler<Work, WorkHandler>("work"),
        s => s.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>());

    private static Dictionary<string, object?> Messaging(string operation, string queue, string? errorType = null)
    {
        var tags = Tag.Set(("messaging.system", "sqlitequeue"), ("messaging.operation.name", operation), ("messaging.destination.name", queue));
        if (errorType is not null)
        {
            tags["error.type"] = errorType;
        }

        return tags;
    }

    [Fact]
    public async Task Sent_messages_count_every_enqueued_job_per_queue_and_failures_with_their_error_type()
    {
        await using var db = new TestDatabase();
        using var metrics = new MetricRecorder(db.Queue);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await db.Client.EnqueueAsync("t", new { n = 1 }, new EnqueueOptions { Queue = "a" });
        await db.Client.EnqueueManyAsync("t", [1, 2, 3], new EnqueueOptions { Queue = "a" });
        await db.Client.EnqueueManyAsync([new NewJob("t", "{}", new EnqueueOptions { Queue = "b" }), new NewJob("t", "{}", new EnqueueOptions { Queue = "a" })]);
        await db.Client.Invoking(c => c.EnqueueAsync("t", new { n = 1 }, new EnqueueOptions { Queue = "b" }, cancelled.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        var sent = metrics.Of("messaging.client.sent.messages");
        sent.Should().AllSatisfy(m => m.Unit.Should().Be("{message}"));
        sent.Select(m => (m.Value, m.Tags)).Should().BeEquivalentTo(new[]
        {
            (1.0, Messaging("send", "a")),
            (3.0, Messaging("send", "a")),
            (1.0, Messaging("send", "b")),
            (1.0, Messaging("send", "a")),
            (1.0, Messaging("send", "b", typeof(TaskCanceledException).FullName)),
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task An_attempt_counts_as_consumed_with_its_duration_outcome_and_wait_since_it_was_due()
    {
        var behavior = new Behavior { Run = (job, _) => job.Payload.N == 2 ? throw new InvalidOperationException("no") : Task.CompletedTask };
        await using var f = Fixture(behavior);
        using var metrics = new MetricRecorder(f.Queue);
        await f.Client.EnqueueAsync("work", new Work(1));
        f.Time.Advance(TimeSpan.FromSeconds(3));
        await f.Client.EnqueueAsync("work", new Work(2));

        await f.Processor(o => o.Concurrency = 1).RunOnceAsync();

        metrics.Of("messaging.client.consumed.messages").Select(m => (m.Unit, m.Value, m.Tags)).Should().BeEquivalentTo(new[]
        {
            ("{message}", 1.0, Messaging("process", "default")),
            ("{message}", 1.0, Messaging("process", "default", "System.InvalidOperationException")),
        });
        var durations = metrics.Of("messaging.process.duration");
        durations.Should().HaveCount(2).And.AllSatisfy(m => m.Unit.Should().Be("s")).And.AllSatisfy(m => m.Value.Should().BeGreaterThanOrEqualTo(0));
        durations.Select(m => m.Tags).Should().BeEquivalentTo(new[]
        {
            With(Messaging("process", "default"), ("sqlitequeue.job.type", "work"), ("sqlitequeue.job.outcome", "completed")),
            With(Messaging("process", "default", "System.InvalidOperationException"), ("sqlitequeue.job.type", "work"), ("sqlitequeue.job.outcome", "retry")),
        });

        // The clock stood still while they ran: the first waited 3 s since it was enqueued, the second nothing.
        metrics.Of("sqlitequeue.job.wait.duration").Select(m => (m.Unit, m.Value, m.Tags)).Should().BeEquivalentTo(new[]
        {
            ("s", 3.0, Tag.Set(("messaging.destination.name", "default"))),
            ("s", 0.0, Tag.Set(("messaging.destination.name", "default"))),
        });
        metrics.Of("sqlitequeue.job.retries").Select(m => (m.Unit, m.Value, m.Tags)).Should().BeEquivalentTo(new[]
        {
            ("{job}", 1.0, Tag.Set(("messaging.destination.name", "default"), ("sqlitequeue.job.type", "work"))),
        });
        metrics.Of("sqlitequeue.job.dead").Should().BeEmpty();
    }

    [Fact]
    public async Task Dead_jobs_and_expired_leases_are_counted_by_queue_and_type()
    {
        await using var db = new TestDatabase();
        using var metrics = new MetricRecorder(db.Queue);
        await db.Client.EnqueueAsync("poison", new { n = 1 }, new EnqueueOptions { MaxAttempts = 1 });
        await db.Client.EnqueueAsync("slow", new { n = 2 }, new EnqueueOptions { MaxAttempts = 1 });
        var worker = db.Worker(lease: TimeSpan.FromSeconds(5));
        var poison = (await worker.ClaimAsync()).Single();
        (await worker.FailAsync(poison, "boom")).State.Should().Be(JobState.Dead);
        (await worker.ClaimAsync()).Should().ContainSingle();

        // The worker vanishes; the next claim takes the expired lease back, and with its one attempt spent the job is dead.
        db.Time.Advance(TimeSpan.FromSeconds(6));
        (await db.Worker().ClaimAsync()).Should().BeEmpty();

        var job = (string type) => Tag.Set(("messaging.destination.name", "default"), ("sqlitequeue.job.type", type));
        metrics.Of("sqlitequeue.job.lease_expired").Select(m => (m.Unit, m.Value, m.Tags)).Should().BeEquivalentTo(new[] { ("{job}", 1.0, job("slow")) });
        metrics.Of("sqlitequeue.job.dead").Select(m => (m.Unit, m.Value, m.Tags)).Should().BeEquivalentTo(new[]
        {
            ("{job}", 1.0, job("poison")),
            ("{job}", 1.0, job("slow")),
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task Recurring_occurrences_are_counted_by_schedule_and_outcome()
    {
        await using var kit = new SqliteQueue.Tests.Recurring.RecurringKit();
        using var metrics = new MetricRecorder(kit.Queue);
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "every 1 minute") { Overlap = Overlap.Skip });

        await kit.TickAtAsync(kit.Now + TimeSpan.FromMinutes(1));
        await kit.TickAtAsync(kit.Now + TimeSpan.FromMinutes(1));
        (await kit.Recurring.TriggerAsync("tick", ignoreOverlap: true)).Should().NotBeNull();

        metrics.Of("sqlitequeue.recurring.occurrences").Select(m => (m.Unit, m.Value, m.Tags)).Should().BeEquivalentTo(new[]
        {
            ("{occurrence}", 1.0, Tag.Set(("sqlitequeue.recurring.name", "tick"), ("sqlitequeue.recurring.outcome", "fired"))),
            ("{occurrence}", 1.0, Tag.Set(("sqlitequeue.recurring.name", "tick"), ("sqlitequeue.recurring.outcome", "skipped_overlap"))),
            ("{occurrence}", 1.0, Tag.Set(("sqlitequeue.recurring.name", "tick"), ("sqlitequeue.recurring.outcome", "triggered"))),
        }, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task Job_counts_and_backlog_age_come_from_the_statistics_read_at_most_once_per_five_seconds()
    {
        await using var db = new TestDatabase();
        using var metrics = new MetricRecorder(db.Queue);
        await db.Client.EnqueueManyAsync("t", [1, 2, 3]);
        var worker = db.Worker();
        (await worker.CompleteAsync((await worker.ClaimAsync()).Single())).Should().BeTrue();
        await worker.ClaimAsync();
        db.Time.Advance(TimeSpan.FromSeconds(7));

        var observed = metrics.Observe();
        Jobs(observed).Should().BeEquivalentTo(new Dictionary<string, double>
        {
            ["pending"] = 1, ["running"] = 1, ["completed"] = 1, ["dead"] = 0, ["cancelled"] = 0,
        });
        observed.Where(m => m.Instrument == "sqlitequeue.jobs").Should().AllSatisfy(m => m.Unit.Should().Be("{job}"));
        observed.Where(m => m.Instrument == "sqlitequeue.queue.oldest_runnable.age").Select(m => (m.Unit, m.Value, m.Tags))
            .Should().BeEquivalentTo(new[] { ("s", 7.0, Tag.Set(("messaging.destination.name", "default"))) });

        await db.Client.EnqueueAsync("t", 4);
        db.Time.Advance(TimeSpan.FromSeconds(4));
        Jobs(metrics.Observe())["pending"].Should().Be(1, "the statistics read 4 s ago still answer");
        db.Time.Advance(TimeSpan.FromSeconds(1));
        Jobs(metrics.Observe())["pending"].Should().Be(2, "after 5 s they are read again");
    }

    [Fact]
    public async Task The_database_and_wal_sizes_are_the_files_sizes_and_a_memory_store_reports_none()
    {
        await using var db = new TestDatabase();
        using var metrics = new MetricRecorder(db.Queue);
        metrics.Observe().Where(m => m.Instrument.StartsWith("sqlitequeue.db.", StringComparison.Ordinal)).Should().BeEmpty("the file is not open yet");
        await db.Client.EnqueueAsync("t", 1);

        var observed = metrics.Observe();
        var size = observed.Should().ContainSingle(m => m.Instrument == "sqlitequeue.db.size").Subject;
        var wal = observed.Should().ContainSingle(m => m.Instrument == "sqlitequeue.db.wal.size").Subject;
        (size.Unit, size.Value, size.Tags.Count).Should().Be(("By", (double)new FileInfo(db.Path).Length, 0));
        (wal.Unit, wal.Value, wal.Tags.Count).Should().Be(("By", (double)new FileInfo(db.Path + "-wal").Length, 0));
        wal.Value.Should().BeGreaterThan(0, "the enqueue was written to the WAL");

        await using var memory = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={Tag.NewQueue()};Mode=Memory;Cache=Shared" });
        using var memoryMetrics = new MetricRecorder(memory);
        await memory.Client.EnqueueAsync("t", 1);
        var fromMemory = memoryMetrics.Observe();
        fromMemory.Should().NotContain(m => m.Instrument.StartsWith("sqlitequeue.db.", StringComparison.Ordinal));
        Jobs(fromMemory)["pending"].Should().Be(1);
    }

    [Fact]
    public async Task Every_commit_records_its_write_lock_wait_and_how_many_writes_it_carried()
    {
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();
        using var metrics = new MetricRecorder(db.Queue);

        await db.Client.EnqueueAsync("t", 1);
        await db.Client.EnqueueManyAsync("t", [2, 3]);

        var waits = metrics.Of("sqlitequeue.db.lock.wait.duration");
        waits.Should().HaveCount(2).And.AllSatisfy(m => (m.Unit, m.Tags.Count).Should().Be(("s", 0)));
        waits.Should().AllSatisfy(m => m.Value.Should().BeGreaterThanOrEqualTo(0));
        metrics.Of("sqlitequeue.db.write.batch.size").Select(m => (m.Unit, m.Value, m.Tags.Count))
            .Should().Equal(("{operation}", 1.0, 0), ("{operation}", 1.0, 0));
    }

    [Fact]
    public async Task With_dependency_injection_the_meter_comes_from_the_application_s_meter_factory()
    {
        await using var db = new TestDatabase();
        var services = new ServiceCollection().AddMetrics();
        services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString);
        await using var provider = services.BuildServiceProvider();

        var meter = provider.GetRequiredService<SqliteJobQueue>().Store.Metrics.Meter;

        meter.Name.Should().Be(SqliteQueueDiagnostics.MeterName);
        meter.Scope.Should().BeSameAs(provider.GetRequiredService<IMeterFactory>());
        db.Queue.Store.Metrics.Meter.Scope.Should().BeNull("a store without a factory makes its own meter");
        db.Queue.Store.Metrics.Meter.Version.Should().Be(typeof(SqliteJobQueue).Assembly.GetName().Version!.ToString());
    }

    private static Dictionary<string, double> Jobs(IEnumerable<Recorded> observed) => observed
        .Where(m => m.Instrument == "sqlitequeue.jobs" && Equals(m.Tags["messaging.destination.name"], "default"))
        .ToDictionary(m => (string)m.Tags["sqlitequeue.job.state"]!, m => m.Value);

    private static Dictionary<string, object?> With(Dictionary<string, object?> tags, params (string Key, object? Value)[] more)
    {
        var copy = new Dictionary<string, object?>(tags);
        foreach (var (key, value) in more)
        {
            copy[key] = value;
        }

        return copy;
    }
}
