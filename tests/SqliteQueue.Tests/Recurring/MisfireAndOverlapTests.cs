using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Recurring;

public sealed class MisfireAndOverlapTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    [Fact]
    public async Task After_a_day_of_downtime_run_once_fires_one_catch_up_job_for_all_missed_occurrences()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("every10", "work", "every 10 minutes"));
        await kit.TickAtAsync(RecurringKit.Start + Day + TimeSpan.FromSeconds(5) + TimeSpan.FromMinutes(2));

        var jobs = kit.Jobs("every10");
        jobs.Should().ContainSingle().Which.ScheduledFor.Should().Be(RecurringKit.Start + Day);
        var history = await kit.Recurring.GetHistoryAsync("every10");
        history.Should().ContainSingle().Which.Outcome.Should().Be(RecurringOutcome.CaughtUp);
        history[0].Detail.Should().Contain("144 missed occurrences");
        (await kit.Recurring.GetAsync("every10"))!.NextRunAt.Should().Be(RecurringKit.Start + Day + TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task After_a_day_of_downtime_run_all_fires_at_most_the_cap_and_records_the_rest_as_skipped()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("every10", "work", "every 10 minutes")
        {
            Misfire = Misfire.RunAll,
            MaxCatchUp = 50,
            Overlap = Overlap.Allow,
        });
        await kit.TickAtAsync(RecurringKit.Start + Day + TimeSpan.FromMinutes(2));

        var fired = kit.Jobs("every10").Select(j => j.ScheduledFor!.Value).ToList();
        fired.Should().HaveCount(50);
        fired.Should().BeInAscendingOrder();
        fired[^1].Should().Be(RecurringKit.Start + Day);
        var skipped = (await kit.Recurring.GetHistoryAsync("every10", 1000)).Where(h => h.Outcome == RecurringOutcome.SkippedMisfire).ToList();
        skipped.Should().ContainSingle().Which.Detail.Should().StartWith("94 occurrence(s)");
    }

    [Fact]
    public async Task Run_all_under_its_cap_fires_every_missed_occurrence()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("every10", "work", "every 10 minutes")
        {
            Misfire = Misfire.RunAll,
            MaxCatchUp = 1000,
            Overlap = Overlap.Allow,
        });
        await kit.TickAtAsync(RecurringKit.Start + Day + TimeSpan.FromMinutes(2));

        kit.Jobs("every10").Select(j => j.ScheduledFor!.Value).Should()
            .Equal(Enumerable.Range(1, 144).Select(i => RecurringKit.Start + TimeSpan.FromMinutes(10 * i)));
    }

    [Fact]
    public async Task After_a_day_of_downtime_skip_fires_nothing_and_then_the_next_occurrence_on_time()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("every10", "work", "every 10 minutes") { Misfire = Misfire.Skip });
        await kit.TickAtAsync(RecurringKit.Start + Day + TimeSpan.FromMinutes(2));
        kit.Jobs("every10").Should().BeEmpty();
        (await kit.Recurring.GetHistoryAsync("every10")).Should().ContainSingle().Which.Outcome.Should().Be(RecurringOutcome.SkippedMisfire);

        await kit.TickAtAsync(RecurringKit.Start + Day + TimeSpan.FromMinutes(10));
        kit.Jobs("every10").Select(j => j.ScheduledFor).Should().Equal(RecurringKit.Start + Day + TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task An_occurrence_late_by_less_than_the_grace_period_fires_as_on_time()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("late", "work", "every 10 minutes")
        {
            Misfire = Misfire.Skip,
            MisfireGrace = TimeSpan.FromMinutes(5),
        });
        await kit.TickAtAsync(RecurringKit.Start + TimeSpan.FromMinutes(14));
        kit.Jobs("late").Should().ContainSingle();
        (await kit.Recurring.GetHistoryAsync("late")).Single().Outcome.Should().Be(RecurringOutcome.Fired);
    }

    [Fact]
    public async Task A_three_minute_job_under_a_one_minute_schedule_never_has_a_second_live_job_with_overlap_skip()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("slow", "work", "every 1 minute"));
        var worker = kit.Db.Worker(lease: TimeSpan.FromMinutes(10));
        var running = new List<(ClaimedJob Job, DateTimeOffset Until)>();
        var maxLive = 0;

        // Each job runs for three minutes; the schedule fires every minute for an hour.
        for (var minute = 1; minute <= 60; minute++)
        {
            await kit.TickAtAsync(RecurringKit.Start + TimeSpan.FromMinutes(minute));
            foreach (var done in running.Where(r => r.Until <= kit.Now).ToList())
            {
                (await worker.CompleteAsync(done.Job)).Should().BeTrue();
                running.Remove(done);
            }

            maxLive = Math.Max(maxLive, kit.Jobs("slow").Count(j => j.State is "pending" or "running"));
            foreach (var job in await worker.ClaimAsync())
            {
                running.Add((job, kit.Now + TimeSpan.FromMinutes(3)));
            }
        }

        maxLive.Should().Be(1);
        var history = await kit.Recurring.GetHistoryAsync("slow", 1000);
        history.Count(h => h.Outcome == RecurringOutcome.SkippedOverlap).Should().BeGreaterThan(30);
        history.Where(h => h.Outcome == RecurringOutcome.SkippedOverlap).Should().AllSatisfy(h => h.Detail.Should().Contain("still pending or running"));
        kit.Jobs("slow").Should().HaveCount(history.Count(h => h.Outcome == RecurringOutcome.Fired));
    }

    [Fact]
    public async Task Overlap_queue_one_lets_one_job_wait_behind_a_running_one()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("q1", "work", "every 1 minute") { Overlap = Overlap.QueueOne });
        var worker = kit.Db.Worker(lease: TimeSpan.FromMinutes(10));
        await kit.TickAtAsync(RecurringKit.Start + TimeSpan.FromMinutes(1));
        (await worker.ClaimAsync()).Should().ContainSingle();

        await kit.TickAtAsync(RecurringKit.Start + TimeSpan.FromMinutes(2));
        await kit.TickAtAsync(RecurringKit.Start + TimeSpan.FromMinutes(3));
        kit.Jobs("q1").Select(j => j.State).Should().Equal("running", "pending");
        (await kit.Recurring.GetHistoryAsync("q1")).Select(h => h.Outcome).Should()
            .Equal(RecurringOutcome.SkippedOverlap, RecurringOutcome.Fired, RecurringOutcome.Fired);
    }

    [Fact]
    public async Task Overlap_allow_fires_beside_live_jobs()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("all", "work", "every 1 minute") { Overlap = Overlap.Allow });
        await kit.TickThroughAsync(RecurringKit.Start + TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1));
        kit.Jobs("all").Should().HaveCount(5).And.OnlyContain(j => j.State == "pending");
    }
}
