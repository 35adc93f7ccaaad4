using Microsoft.Extensions.Logging;
using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Recurring;

public sealed class RecurringApiTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Upsert_stores_every_field_and_get_and_list_read_them_back()
    {
        await using var kit = new RecurringKit();
        var definition = new RecurringJobDefinition("report", "report.generate", "0 9 * * *")
        {
            TimeZone = "America/New_York",
            PayloadJson = """{"kind":"daily"}""",
            Queue = "reports",
            Priority = 3,
            MaxAttempts = 2,
            Timeout = TimeSpan.FromMinutes(5),
            Misfire = Misfire.Skip,
            MisfireGrace = TimeSpan.FromMinutes(2),
            MaxCatchUp = 7,
            Overlap = Overlap.QueueOne,
        };
        var stored = await kit.Recurring.UpsertAsync(definition);

        stored.Definition.Should().BeEquivalentTo(definition);
        stored.State.Should().Be(RecurringJobState.Active);
        stored.Source.Should().Be(RecurringJobSource.Runtime);
        stored.NextRunAt.Should().Be(new DateTimeOffset(2030, 1, 1, 14, 0, 0, TimeSpan.Zero));
        (await kit.Recurring.GetAsync("report")).Should().BeEquivalentTo(stored);
        (await kit.Recurring.ListAsync()).Should().ContainSingle().Which.Should().BeEquivalentTo(stored);
        (await kit.Recurring.GetAsync("missing")).Should().BeNull();
    }

    [Fact]
    public async Task A_job_fired_by_a_schedule_carries_its_definition()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("report", "report.generate", "every 1 minute")
        {
            PayloadJson = """{"kind":"daily"}""",
            Queue = "reports",
            Priority = 3,
            MaxAttempts = 2,
            Timeout = TimeSpan.FromMinutes(5),
        });
        await kit.TickAtAsync(RecurringKit.Start + Minute);

        var job = (await kit.Queue.Client.GetJobAsync(kit.Jobs("report").Single().Id))!;
        job.Queue.Should().Be("reports");
        job.PayloadJson.Should().Be("""{"kind":"daily"}""");
        job.Priority.Should().Be(3);
        job.MaxAttempts.Should().Be(2);
        job.Timeout.Should().Be(TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task Trigger_enqueues_now_without_moving_the_schedule()
    {
        var logs = new LogCapture();
        await using var kit = new RecurringKit(logs: logs);
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("daily", "work", "0 9 * * *"));
        kit.Time.Advance(TimeSpan.FromHours(1));

        var id = await kit.Recurring.TriggerAsync("daily");
        id.Should().NotBeNull();
        var job = (await kit.Queue.Client.GetJobAsync(id!.Value))!;
        job.RecurringName.Should().Be("daily");
        job.ScheduledFor.Should().BeNull();
        (await kit.Recurring.GetAsync("daily"))!.NextRunAt.Should().Be(RecurringKit.Start + TimeSpan.FromHours(9));
        (await kit.Recurring.GetHistoryAsync("daily")).Single().Outcome.Should().Be(RecurringOutcome.Triggered);
        logs.WithId(3009).Should().ContainSingle().Which.Message.Should().Contain($"job {id}");

        // The triggered job is live: the overlap policy skips a second trigger unless told not to.
        (await kit.Recurring.TriggerAsync("daily")).Should().BeNull();
        (await kit.Recurring.TriggerAsync("daily", ignoreOverlap: true)).Should().NotBeNull();
        await kit.Invoking(k => k.Recurring.TriggerAsync("nope")).Should().ThrowAsync<KeyNotFoundException>().WithMessage("*'nope'*");
    }

    [Fact]
    public async Task A_paused_schedule_does_not_fire_and_resuming_from_now_drops_what_came_meanwhile()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "every 1 minute"));
        (await kit.Recurring.PauseAsync("tick")).Should().BeTrue();
        (await kit.Recurring.GetAsync("tick"))!.State.Should().Be(RecurringJobState.Paused);
        await kit.TickThroughAsync(RecurringKit.Start + TimeSpan.FromMinutes(10), Minute);
        kit.Jobs("tick").Should().BeEmpty();

        (await kit.Recurring.ResumeAsync("tick")).Should().BeTrue();
        (await kit.Recurring.GetAsync("tick"))!.NextRunAt.Should().Be(RecurringKit.Start + TimeSpan.FromMinutes(11));
        await kit.TickAsync();
        kit.Jobs("tick").Should().BeEmpty();
        await kit.TickAtAsync(RecurringKit.Start + TimeSpan.FromMinutes(11));
        kit.Jobs("tick").Should().ContainSingle();
        (await kit.Recurring.PauseAsync("missing")).Should().BeFalse();
        (await kit.Recurring.ResumeAsync("missing")).Should().BeFalse();
    }

    [Fact]
    public async Task Resuming_from_the_last_occurrence_hands_the_paused_occurrences_to_the_misfire_policy()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "every 1 minute") { MisfireGrace = TimeSpan.Zero });
        await kit.TickAtAsync(RecurringKit.Start + Minute);
        await kit.Recurring.PauseAsync("tick");
        kit.Sql("UPDATE queue_jobs SET state = 'completed'");
        kit.Time.Advance(TimeSpan.FromMinutes(29.5));

        await kit.Recurring.ResumeAsync("tick", ResumeFrom.LastOccurrence);
        await kit.TickAsync();

        kit.Jobs("tick").Select(j => j.ScheduledFor).Should().Equal(RecurringKit.Start + Minute, RecurringKit.Start + (30 * Minute));
        var catchUp = (await kit.Recurring.GetHistoryAsync("tick"))[0];
        catchUp.Outcome.Should().Be(RecurringOutcome.CaughtUp);
        catchUp.Detail.Should().Contain("29 missed occurrences");
    }

    [Fact]
    public async Task Remove_deletes_the_schedule_and_its_history_but_keeps_its_jobs()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "every 1 minute") { Overlap = Overlap.Allow });
        await kit.TickAtAsync(RecurringKit.Start + Minute);

        (await kit.Recurring.RemoveAsync("tick")).Should().BeTrue();
        (await kit.Recurring.RemoveAsync("tick")).Should().BeFalse();
        await kit.TickAtAsync(RecurringKit.Start + (5 * Minute));
        kit.Jobs("tick").Should().ContainSingle();
        (await kit.Recurring.GetAsync("tick")).Should().BeNull();
        (await kit.Recurring.GetHistoryAsync("tick")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_schedule_whose_zone_is_missing_here_is_marked_broken_logged_at_error_and_fixed_by_an_upsert()
    {
        var logs = new LogCapture();
        await using var kit = new RecurringKit(logs: logs);
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("zoned", "work", "every 1 minute") { TimeZone = "Europe/Berlin" });

        // Written by a machine that knows a zone this one does not.
        kit.Sql("UPDATE queue_recurring SET time_zone = 'Mars/Olympus_Mons'");
        await kit.TickAtAsync(RecurringKit.Start + Minute);

        var info = (await kit.Recurring.GetAsync("zoned"))!;
        info.State.Should().Be(RecurringJobState.Broken);
        info.NextRunAt.Should().BeNull();
        info.LastError.Should().Contain("Mars/Olympus_Mons");
        (await kit.Recurring.GetHistoryAsync("zoned"))[0].Outcome.Should().Be(RecurringOutcome.Broken);
        logs.WithId(3004).Should().ContainSingle().Which.Level.Should().Be(LogLevel.Error);
        kit.Jobs("zoned").Should().BeEmpty();
        await kit.Invoking(k => k.Recurring.ResumeAsync("zoned")).Should().ThrowAsync<SqliteQueueException>().WithMessage("*Mars/Olympus_Mons*");

        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("zoned", "work", "every 1 minute") { TimeZone = "Europe/Berlin" });
        (await kit.Recurring.GetAsync("zoned"))!.State.Should().Be(RecurringJobState.Active);
        await kit.TickAtAsync(RecurringKit.Start + (2 * Minute));
        kit.Jobs("zoned").Should().ContainSingle();
    }

    [Fact]
    public async Task Changing_the_cron_recomputes_the_next_run_without_firing_the_handled_occurrence_again()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "*/2 * * * *") { Overlap = Overlap.Allow });
        await kit.TickAtAsync(RecurringKit.Start + (2 * Minute));

        // Still at 00:02, the schedule changes to every minute: 00:02 was handled, the next is 00:03.
        var changed = await kit.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "* * * * *") { Overlap = Overlap.Allow });
        changed.NextRunAt.Should().Be(RecurringKit.Start + (3 * Minute));
        changed.LastOccurrenceAt.Should().Be(RecurringKit.Start + (2 * Minute));
        await kit.TickAsync();
        await kit.TickAtAsync(RecurringKit.Start + (3 * Minute));
        kit.Jobs("tick").Select(j => j.ScheduledFor).Should().Equal(RecurringKit.Start + (2 * Minute), RecurringKit.Start + (3 * Minute));
    }

    [Fact]
    public async Task Changing_only_the_payload_keeps_the_next_run()
    {
        await using var kit = new RecurringKit();
        var first = await kit.Recurring.UpsertAsync(new RecurringJobDefinition("daily", "work", "0 9 * * *"));
        kit.Time.Advance(TimeSpan.FromHours(10));
        var changed = await kit.Recurring.UpsertAsync(new RecurringJobDefinition("daily", "work", "0 9 * * *") { PayloadJson = """{"v":2}""" });
        changed.NextRunAt.Should().Be(first.NextRunAt);
        changed.Definition.PayloadJson.Should().Be("""{"v":2}""");
    }

    [Fact]
    public async Task History_is_newest_first_limited_and_trimmed_to_the_newest_thousand()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("sec", "work", "* * * * * *") { Overlap = Overlap.Allow, MaxCatchUp = 2000, MisfireGrace = TimeSpan.FromHours(1) });
        await kit.TickAtAsync(RecurringKit.Start + TimeSpan.FromSeconds(1100));

        kit.Jobs("sec").Should().HaveCount(1100);
        var history = await kit.Recurring.GetHistoryAsync("sec", 1000);
        history.Should().HaveCount(1000);
        history[0].ScheduledFor.Should().Be(RecurringKit.Start + TimeSpan.FromSeconds(1100));
        history.Select(h => h.ScheduledFor).Should().BeInDescendingOrder();
        (await kit.Recurring.GetHistoryAsync("sec", 3)).Should().HaveCount(3);
    }

    [Fact]
    public async Task A_memory_database_keeps_and_fires_schedules_too()
    {
        var time = new ManualTimeProvider(RecurringKit.Start);
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = "Data Source=:memory:" }, time);
        await queue.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "every 1 minute"));
        time.Advance(Minute);

        await queue.Scheduler.TickAsync(CancellationToken.None);

        var job = (await queue.Client.ListJobsAsync(new JobQuery())).Jobs.Should().ContainSingle().Subject;
        job.RecurringName.Should().Be("tick");
        (await queue.Recurring.GetAsync("tick"))!.FiredCount.Should().Be(1);
    }
}
