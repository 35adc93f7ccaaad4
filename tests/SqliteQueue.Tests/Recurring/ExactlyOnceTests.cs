using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Recurring;

public sealed class ExactlyOnceTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    // No worker runs these jobs: overlap is allowed so each occurrence's job is kept beside the earlier ones.
    private static RecurringJobDefinition EveryMinute(string name) => new(name, "work", "every 1 minute") { Overlap = Overlap.Allow };

    [Fact]
    public async Task An_occurrence_fires_one_job_at_its_time_and_never_before()
    {
        await using var kit = new RecurringKit();
        var info = await kit.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "every 1 minute"));
        info.NextRunAt.Should().Be(RecurringKit.Start + Minute);

        await kit.TickAtAsync(RecurringKit.Start + Minute - TimeSpan.FromMilliseconds(1));
        kit.Jobs("tick").Should().BeEmpty();

        await kit.TickAtAsync(RecurringKit.Start + Minute);
        await kit.TickAsync();
        await kit.TickAsync();
        var jobs = kit.Jobs("tick");
        jobs.Should().ContainSingle().Which.ScheduledFor.Should().Be(RecurringKit.Start + Minute);

        var job = await kit.Queue.Client.GetJobAsync(jobs[0].Id);
        job!.RecurringName.Should().Be("tick");
        job.ScheduledFor.Should().Be(RecurringKit.Start + Minute);
        job.Type.Should().Be("work");
        job.PayloadJson.Should().Be("{}");
        (await kit.Recurring.GetAsync("tick"))!.NextRunAt.Should().Be(RecurringKit.Start + (2 * Minute));
    }

    [Fact]
    public async Task Two_stores_on_one_file_ticking_in_turn_fire_every_occurrence_once()
    {
        await using var kit = new RecurringKit();
        var other = kit.Db.Open();
        await kit.Recurring.UpsertAsync(EveryMinute("tick"));
        var random = new Random(7);

        // Both "processes" tick at the same instants and at odd ones in between, in a random order.
        while (kit.Now < RecurringKit.Start + TimeSpan.FromMinutes(200))
        {
            kit.Time.Advance(TimeSpan.FromSeconds(random.Next(1, 50)));
            if (random.Next(2) == 0)
            {
                await kit.TickAsync(other);
                await kit.TickAsync();
            }
            else
            {
                await Task.WhenAll(kit.TickAsync(), kit.TickAsync(other));
            }
        }

        var fired = kit.Jobs("tick").Select(j => j.ScheduledFor!.Value).ToList();
        var expected = Enumerable.Range(1, (int)(kit.Now - RecurringKit.Start).TotalMinutes).Select(m => RecurringKit.Start + (m * Minute)).ToList();
        fired.Should().Equal(expected);
    }

    [Fact]
    public async Task After_every_job_is_deleted_a_handled_occurrence_does_not_fire_again()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(EveryMinute("tick"));
        await kit.TickAtAsync(RecurringKit.Start + Minute);
        kit.Sql("DELETE FROM queue_jobs");

        await kit.TickAsync();
        await kit.TickAtAsync(RecurringKit.Start + Minute + TimeSpan.FromSeconds(30));
        kit.Jobs("tick").Should().BeEmpty();

        await kit.TickAtAsync(RecurringKit.Start + (2 * Minute));
        kit.Jobs("tick").Select(j => j.ScheduledFor).Should().Equal(RecurringKit.Start + (2 * Minute));
    }

    [Fact]
    public async Task The_unique_index_refuses_a_second_job_for_an_occurrence_even_if_the_schedule_row_is_rewound()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(EveryMinute("tick"));
        await kit.TickAtAsync(RecurringKit.Start + Minute);

        // A schedule removed and declared again, or a watermark gone wrong: the row points back at a fired occurrence.
        kit.Sql($"UPDATE queue_recurring SET next_run_at = {(RecurringKit.Start + Minute).ToUnixTimeMilliseconds()}");
        await kit.TickAsync();

        kit.Jobs("tick").Should().ContainSingle();
        var history = await kit.Recurring.GetHistoryAsync("tick");
        history.Select(h => h.Outcome).Should().Equal(RecurringOutcome.AlreadyFired, RecurringOutcome.Fired);
    }

    [Fact]
    public async Task A_weekly_schedule_fires_after_a_restart_in_the_middle_of_the_week()
    {
        await using var kit = new RecurringKit();
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("weekly", "work", "0 9 * * 1"));

        // Wednesday: this process stops; a new one opens the file on Thursday and runs until the next Monday.
        await kit.TickAtAsync(new DateTimeOffset(2030, 1, 2, 12, 0, 0, TimeSpan.Zero));
        kit.Time.Advance(TimeSpan.FromDays(1));
        var restarted = kit.Db.Open();
        var monday = new DateTimeOffset(2030, 1, 7, 9, 0, 0, TimeSpan.Zero);
        while (kit.Now < monday + TimeSpan.FromHours(1))
        {
            kit.Time.Advance(TimeSpan.FromMinutes(30));
            await kit.TickAsync(restarted);
        }

        kit.Jobs("weekly").Select(j => j.ScheduledFor).Should().Equal(monday);
    }

    [Fact]
    public async Task A_daily_job_in_new_york_fires_once_on_each_dst_change_day()
    {
        // 02:30 does not exist on 10 March 2030 (it moves to 03:00 EDT); 01:30 comes twice on 3 November 2030 (it fires at the first).
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        await using var kit = new RecurringKit(new DateTimeOffset(2030, 3, 8, 0, 0, 0, TimeSpan.Zero));
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "work", "30 2 * * *") { TimeZone = "America/New_York", Overlap = Overlap.Allow });
        await kit.TickThroughAsync(new DateTimeOffset(2030, 3, 12, 12, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(10));

        var spring = kit.Jobs("nightly").Select(j => TimeZoneInfo.ConvertTime(j.ScheduledFor!.Value, zone)).ToList();
        spring.Select(t => t.ToString("yyyy-MM-dd HH:mm zzz", System.Globalization.CultureInfo.InvariantCulture)).Should().Equal(
            "2030-03-08 02:30 -05:00", "2030-03-09 02:30 -05:00", "2030-03-10 03:00 -04:00", "2030-03-11 02:30 -04:00", "2030-03-12 02:30 -04:00");

        kit.Sql("DELETE FROM queue_jobs");
        await kit.Recurring.RemoveAsync("nightly");
        kit.Time.Advance(new DateTimeOffset(2030, 11, 2, 0, 0, 0, TimeSpan.Zero) - kit.Now);
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "work", "30 1 * * *") { TimeZone = "America/New_York", Overlap = Overlap.Allow });
        await kit.TickThroughAsync(new DateTimeOffset(2030, 11, 5, 0, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(10));
        var fall = kit.Jobs("nightly").Select(j => TimeZoneInfo.ConvertTime(j.ScheduledFor!.Value, zone)).ToList();
        fall.Select(t => t.ToString("yyyy-MM-dd HH:mm zzz", System.Globalization.CultureInfo.InvariantCulture)).Should().Equal(
            "2030-11-02 01:30 -04:00", "2030-11-03 01:30 -04:00", "2030-11-04 01:30 -05:00");
    }

    [Fact]
    public async Task An_hourly_interval_fires_every_3600_seconds_across_a_dst_change()
    {
        await using var kit = new RecurringKit(new DateTimeOffset(2030, 3, 30, 0, 0, 0, TimeSpan.Zero));
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("hourly", "work", "every 1 hour") { TimeZone = "Europe/Berlin", Overlap = Overlap.Allow });
        await kit.TickThroughAsync(new DateTimeOffset(2030, 4, 1, 0, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(20));

        var fired = kit.Jobs("hourly").Select(j => j.ScheduledFor!.Value).ToList();
        fired.Should().HaveCount(48);
        fired.Zip(fired.Skip(1), (a, b) => b - a).Should().AllSatisfy(gap => gap.Should().Be(TimeSpan.FromHours(1)));
    }
}
