using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Recurring;

public sealed class SchedulerTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task An_idle_scheduler_sleeps_until_the_due_instant_and_fires_there()
    {
        await using var kit = new RecurringKit();
        kit.Sql("SELECT 1");
        var options = kit.Db.Options();
        options.PollInterval = TimeSpan.FromHours(1);
        await using var queue = new SqliteJobQueue(options, kit.Time);
        using var stop = new CancellationTokenSource();
        var run = queue.RunRecurringSchedulerAsync(stop.Token);

        // No schedule yet: it waits out its poll interval (an hour), and the upsert wakes it at once to wait for the
        // first occurrence, at 00:30, instead.
        var first = RecurringKit.Start + TimeSpan.FromMinutes(30);
        await Eventually.TrueAsync(() => kit.Time.HasTimerDueAt(RecurringKit.Start + TimeSpan.FromHours(1)), "the scheduler waits for its poll");
        await queue.Recurring.UpsertAsync(new RecurringJobDefinition("half-hourly", "work", "every 30 minutes") { MisfireGrace = TimeSpan.Zero });
        await Eventually.TrueAsync(() => kit.Time.HasTimerDueAt(first), "the upsert woke the scheduler, which sleeps until 00:30");

        kit.Time.Advance(first - kit.Now - TimeSpan.FromMilliseconds(1));
        kit.Jobs("half-hourly").Should().BeEmpty();
        kit.Time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => kit.Jobs("half-hourly").Count == 1, "the 00:30 occurrence fires");

        // Fired exactly at its instant: on time even with no grace at all.
        (await queue.Recurring.GetHistoryAsync("half-hourly")).Single().Outcome.Should().Be(RecurringOutcome.Fired);
        await Eventually.TrueAsync(() => kit.Time.HasTimerDueAt(RecurringKit.Start + TimeSpan.FromHours(1)), "then sleeps until 01:00");
        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Bound);
    }

    [Fact]
    public async Task A_schedule_created_by_another_process_is_noticed_within_the_poll_interval()
    {
        await using var kit = new RecurringKit();
        await kit.Queue.InitializeAsync();
        using var stop = new CancellationTokenSource();
        var run = kit.Queue.RunRecurringSchedulerAsync(stop.Token);
        await Eventually.TrueAsync(() => kit.Time.HasTimerDueAt(RecurringKit.Start + TimeSpan.FromSeconds(1)), "the scheduler waits for its poll");

        var other = kit.Db.Open();
        await other.Recurring.UpsertAsync(new RecurringJobDefinition("daily", "work", "0 9 * * *"));
        kit.Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => kit.Time.HasTimerDueAt(RecurringKit.Start + TimeSpan.FromSeconds(2)), "the scheduler polled again");

        kit.Time.Advance(TimeSpan.FromHours(9) - TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => kit.Jobs("daily").Count == 1, "the 09:00 occurrence fires in the first process");
        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Bound);
    }

    [Fact]
    public async Task A_host_syncs_its_declared_schedules_fires_them_and_the_handler_knows_its_occurrence()
    {
        await using var db = new TestDatabase(new ManualTimeProvider(RecurringKit.Start));
        var seen = new ConcurrentQueue<(Report Payload, RecurringOccurrenceContext? Occurrence)>();
        using var host = BuildHost(db, b => b
            .AddHandler<Report, ReportHandler>("report")
            .AddWorker()
            .AddRecurringJob("minutely-report", "report", "every 1 minute", r => r.WithPayload(new Report("daily"))), seen);
        await host.StartAsync();
        var recurring = host.Services.GetRequiredService<IRecurringJobs>();
        (await recurring.ListAsync()).Should().ContainSingle().Which.Source.Should().Be(RecurringJobSource.Code);

        // The scheduler may take the time before the clock moves and set its timer after: keep the clock moving.
        db.Time.Advance(Minute);
        await AdvanceUntilAsync(db.Time, RecurringKit.Start + Minute + TimeSpan.FromSeconds(30), () => !seen.IsEmpty, "the handler ran the first occurrence");
        await host.StopAsync();

        var (payload, occurrence) = seen.Single();
        payload.Should().Be(new Report("daily"));
        occurrence.Should().Be(new RecurringOccurrenceContext("minutely-report", RecurringKit.Start + Minute, IsCatchUp: false, MissedCount: 0, IsTriggered: false));
    }

    [Fact]
    public async Task A_three_minute_handler_under_a_one_minute_schedule_never_overlaps_itself_and_the_skips_are_recorded()
    {
        await using var db = new TestDatabase(new ManualTimeProvider(RecurringKit.Start));
        var seen = new ConcurrentQueue<(Report, RecurringOccurrenceContext?)>();
        using var host = BuildHost(db, b => b
            .AddHandler<Report, SlowHandler>("slow")
            .AddWorker(o => o.Concurrency = 4)
            .AddRecurringJob("slow", "slow", "every 1 minute"), seen);
        await host.StartAsync();

        // Twenty simulated minutes in five-second steps, each given a moment of real time to settle.
        while (db.Time.GetUtcNow() < RecurringKit.Start + TimeSpan.FromMinutes(20))
        {
            db.Time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(10);
        }

        await host.StopAsync();
        var recurring = db.Queue.Recurring;
        var history = await recurring.GetHistoryAsync("slow", 1000);
        history.Should().Contain(h => h.Outcome == RecurringOutcome.SkippedOverlap);

        // No two of its jobs were ever live at once: each was created after the previous one finished.
        using var c = db.Raw();
        using var command = c.CreateCommand();
        command.CommandText = "SELECT created_at, finished_at FROM queue_jobs WHERE recurring_name = 'slow' ORDER BY id";
        using var reader = command.ExecuteReader();
        var lives = new List<(long Created, long? Finished)>();
        while (reader.Read())
        {
            lives.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1)));
        }

        lives.Count.Should().BeGreaterThan(1);
        lives.Zip(lives.Skip(1)).Should().AllSatisfy(pair => pair.Second.Created.Should().BeGreaterThanOrEqualTo(pair.First.Finished!.Value));
    }

    [Fact]
    public async Task A_catch_up_job_tells_its_handler_how_many_occurrences_it_stands_for()
    {
        await using var db = new TestDatabase(new ManualTimeProvider(RecurringKit.Start));
        var seen = new ConcurrentQueue<(Report Payload, RecurringOccurrenceContext? Occurrence)>();
        var first = db.Open();
        await first.Recurring.UpsertAsync(new RecurringJobDefinition("report", "report", "every 10 minutes"));

        // Every process was down for a day.
        db.Time.Advance(TimeSpan.FromDays(1) + Minute + Minute);
        using var host = BuildHost(db, b => b.AddHandler<Report, ReportHandler>("report").AddWorker(), seen);
        await host.StartAsync();
        await Eventually.TrueAsync(() => !seen.IsEmpty, "the handler ran the catch-up job");
        await host.StopAsync();

        seen.Single().Occurrence.Should().Be(new RecurringOccurrenceContext("report", RecurringKit.Start + TimeSpan.FromDays(1), IsCatchUp: true, MissedCount: 144, IsTriggered: false));
    }

    [Fact]
    public async Task Starting_a_host_adds_changes_and_removes_code_schedules_and_leaves_runtime_ones_alone()
    {
        await using var db = new TestDatabase(new ManualTimeProvider(RecurringKit.Start));
        var seen = new ConcurrentQueue<(Report, RecurringOccurrenceContext?)>();
        var runtime = db.Open();
        await runtime.Recurring.UpsertAsync(new RecurringJobDefinition("made-at-runtime", "report", "@daily"));

        using (var v1 = BuildHost(db, b => b
            .AddRecurringJob("kept", "report", "0 9 * * *")
            .AddRecurringJob("changed", "report", "*/5 * * * *")
            .AddRecurringJob("dropped", "report", "@hourly"), seen))
        {
            await v1.StartAsync();
            await v1.StopAsync();
        }

        var before = (await runtime.Recurring.ListAsync()).ToDictionary(r => r.Name);
        before.Keys.Should().BeEquivalentTo("kept", "changed", "dropped", "made-at-runtime");
        db.Time.Advance(Minute);

        using (var v2 = BuildHost(db, b => b
            .AddRecurringJob("kept", "report", "0 9 * * *")
            .AddRecurringJob("changed", "report", "*/7 * * * *"), seen))
        {
            await v2.StartAsync();
            await v2.StopAsync();
        }

        var after = (await runtime.Recurring.ListAsync()).ToDictionary(r => r.Name);
        after.Keys.Should().BeEquivalentTo("kept", "changed", "made-at-runtime");
        after["kept"].UpdatedAt.Should().Be(before["kept"].UpdatedAt);
        after["changed"].Definition.Schedule.Should().Be("*/7 * * * *");
        after["changed"].NextRunAt.Should().Be(RecurringKit.Start + TimeSpan.FromMinutes(7));
        after["made-at-runtime"].Should().BeEquivalentTo(before["made-at-runtime"]);

        // A host that declares nothing (a web front end, a tool) removes nothing.
        using (var bare = BuildHost(db, b => b.AddWorker(), seen))
        {
            await bare.StartAsync();
            await bare.StopAsync();
        }

        (await runtime.Recurring.ListAsync()).Select(r => r.Name).Should().BeEquivalentTo("kept", "changed", "made-at-runtime");
    }

    [Fact]
    public async Task Keeping_undeclared_schedules_is_a_choice()
    {
        await using var db = new TestDatabase(new ManualTimeProvider(RecurringKit.Start));
        var seen = new ConcurrentQueue<(Report, RecurringOccurrenceContext?)>();
        using (var v1 = BuildHost(db, b => b.AddRecurringJob("a", "report", "@daily").AddRecurringJob("b", "report", "@daily"), seen))
        {
            await v1.StartAsync();
            await v1.StopAsync();
        }

        using (var v2 = BuildHost(db, b => b.AddRecurringJob("a", "report", "@daily").ConfigureRecurringJobs(o => o.RemoveUndeclared = false), seen))
        {
            await v2.StartAsync();
            await v2.StopAsync();
        }

        (await db.Queue.Recurring.ListAsync()).Select(r => r.Name).Should().BeEquivalentTo("a", "b");
    }

    /// <summary>
    /// Moves the manual clock a second at a time, up to <paramref name="limit"/>, until <paramref name="done"/>: a timer
    /// set just after a move (from a time read before it) still fires.
    /// </summary>
    private static Task AdvanceUntilAsync(ManualTimeProvider time, DateTimeOffset limit, Func<bool> done, string because) =>
        Eventually.TrueAsync(() =>
        {
            if (done())
            {
                return true;
            }

            if (time.GetUtcNow() < limit)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }

            return false;
        }, because);

    private static IHost BuildHost(TestDatabase db, Action<SqliteQueueBuilder> register, ConcurrentQueue<(Report, RecurringOccurrenceContext?)> seen)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(db.Time).AddSingleton(seen);
        register(builder.Services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString));
        return builder.Build();
    }

    public sealed record Report(string Kind);

    public sealed class SlowHandler(TimeProvider time) : IJobHandler<Report>
    {
        public Task HandleAsync(JobContext<Report> job, CancellationToken cancellationToken) =>
            Task.Delay(TimeSpan.FromMinutes(3), time, cancellationToken);
    }

    public sealed class ReportHandler(ConcurrentQueue<(Report, RecurringOccurrenceContext?)> seen) : IJobHandler<Report>
    {
        public Task HandleAsync(JobContext<Report> job, CancellationToken cancellationToken)
        {
            seen.Enqueue((job.Payload, job.Recurring));
            return Task.CompletedTask;
        }
    }
}
