using SqliteQueue.Internal.Recurring;
using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Recurring;

public sealed class OccurrencePlannerTests
{
    private const long Second = 1000;
    private const long Minute = 60 * Second;

    private static long? EveryMinute(long after) => ((after / Minute) + 1) * Minute;

    private static long? EverySecond(long after) => ((after / Second) + 1) * Second;

    [Fact]
    public void On_time_occurrences_fire_and_the_next_run_is_the_first_after_now()
    {
        var plan = OccurrencePlanner.Plan(EveryMinute, first: 10 * Minute, now: (11 * Minute) + 5, Misfire.RunOnce, graceMs: 2 * Minute, cap: 100);

        plan.Fires.Should().Equal(new PlannedFire(10 * Minute, 0), new PlannedFire(11 * Minute, 0));
        plan.Skipped.Should().Be(0);
        plan.Last.Should().Be(11 * Minute);
        plan.Next.Should().Be(12 * Minute);
    }

    [Theory]
    [InlineData(Misfire.RunOnce, 1, 0)]
    [InlineData(Misfire.RunAll, 10, 0)]
    [InlineData(Misfire.Skip, 0, 10)]
    public void Missed_occurrences_follow_the_policy(Misfire misfire, int fired, int skipped)
    {
        // Ten missed occurrences (01..10), none on time.
        var plan = OccurrencePlanner.Plan(EveryMinute, first: Minute, now: (10 * Minute) + 1, misfire, graceMs: 0, cap: 100);

        plan.Fires.Should().HaveCount(fired);
        plan.Fires.Where(f => f.Missed == 0).Should().BeEmpty();
        plan.Skipped.Should().Be(skipped);
        plan.Next.Should().Be(11 * Minute);
        if (misfire == Misfire.RunOnce)
        {
            plan.Fires[0].Should().Be(new PlannedFire(10 * Minute, 10));
        }
    }

    [Fact]
    public void Run_once_drops_the_missed_occurrences_when_an_on_time_one_fires()
    {
        var plan = OccurrencePlanner.Plan(EveryMinute, first: Minute, now: 12 * Minute, Misfire.RunOnce, graceMs: Minute, cap: 100);

        plan.Fires.Should().Equal(new PlannedFire(11 * Minute, 0), new PlannedFire(12 * Minute, 0));
        plan.Skipped.Should().Be(10);
        plan.FirstSkipped.Should().Be(Minute);
        plan.LastSkipped.Should().Be(10 * Minute);
    }

    [Fact]
    public void Run_all_fires_the_newest_missed_occurrences_up_to_the_cap()
    {
        var plan = OccurrencePlanner.Plan(EveryMinute, first: Minute, now: (100 * Minute) + 1, Misfire.RunAll, graceMs: 0, cap: 10);

        plan.Fires.Select(f => f.OccurrenceAt).Should().Equal(Enumerable.Range(91, 10).Select(m => m * Minute));
        plan.Skipped.Should().Be(90);
        plan.FirstSkipped.Should().Be(Minute);
    }

    [Fact]
    public void No_tick_fires_more_than_the_cap_even_on_time()
    {
        var plan = OccurrencePlanner.Plan(EverySecond, first: Second, now: 1000 * Second, Misfire.RunOnce, graceMs: 3600 * Second, cap: 100);

        plan.Fires.Should().HaveCount(100);
        plan.Fires[^1].OccurrenceAt.Should().Be(1000 * Second);
        plan.Skipped.Should().Be(900);
    }

    [Fact]
    public void A_year_long_outage_of_a_per_second_schedule_is_jumped_over_and_counted_as_a_lower_bound()
    {
        var year = 365L * 24 * 3600 * Second;
        var plan = OccurrencePlanner.Plan(EverySecond, first: Second, now: year, Misfire.RunOnce, graceMs: Minute, cap: 100);

        // The 61 on-time occurrences (cutoff .. now) fire; the rest are dropped, counted as "at least".
        plan.Fires.Should().HaveCount(61).And.OnlyContain(f => f.Missed == 0);
        plan.Fires[^1].OccurrenceAt.Should().Be(year);
        plan.SkippedIsLowerBound.Should().BeTrue();
        plan.Skipped.Should().BeGreaterThanOrEqualTo(OccurrencePlanner.StepLimit);
        plan.Next.Should().Be(year + Second);
    }

    [Fact]
    public void A_schedule_that_ends_has_no_next_run()
    {
        long? once(long after) => after < 5 * Minute ? 5 * Minute : null;
        var plan = OccurrencePlanner.Plan(once, first: 5 * Minute, now: 6 * Minute, Misfire.RunOnce, graceMs: 2 * Minute, cap: 100);

        plan.Fires.Should().Equal(new PlannedFire(5 * Minute, 0));
        plan.Next.Should().BeNull();
    }

    [Fact]
    public void Run_all_fires_at_most_the_cap_in_all_and_names_exactly_the_occurrences_it_drops()
    {
        // 00:01..00:09 missed (grace 2 min at 00:12), 00:10..00:12 on time; cap 5: 00:08..00:12 fire.
        var plan = OccurrencePlanner.Plan(EveryMinute, first: Minute, now: 12 * Minute, Misfire.RunAll, graceMs: 2 * Minute, cap: 5);

        plan.Fires.Select(f => f.OccurrenceAt).Should().Equal(8 * Minute, 9 * Minute, 10 * Minute, 11 * Minute, 12 * Minute);
        plan.Fires.Select(f => f.Missed).Should().Equal(1, 1, 0, 0, 0);
        plan.Skipped.Should().Be(7);
        plan.FirstSkipped.Should().Be(Minute);
        plan.LastSkipped.Should().Be(7 * Minute);
    }
}
