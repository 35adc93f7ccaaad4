using System.Globalization;
using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Recurring.Schedules;

public sealed class InvariantTests
{
    private const long MinMs = -62_135_596_800_000;
    private const long MaxMs = 253_402_300_799_999;

    public static TheoryData<string, string> Schedules() => new()
    {
        { "*/15 * * * *", "America/New_York" },
        { "30 2 * * *", "Europe/Berlin" },
        { "0 0 * * *", "America/Santiago" },
        { "*/20 * * * * *", "Pacific/Chatham" },
        { "0 0 29 2 *", "Australia/Lord_Howe" },
        { "0 9 * * 1-5", "Asia/Tehran" },
        { "@weekly", "UTC" },
        { "every 1 hour", "America/New_York" },
        { "every 45 seconds", "Europe/Berlin" },
        { "every 1 day at 02:30", "Europe/Berlin" },
        { "every 3 days at 00:00", "America/Santiago" },
        { "every 2 weeks on sunday at 02:45", "Pacific/Chatham" },
    };

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Next_occurrences_are_strictly_after_their_argument_and_strictly_increasing(string text, string zone)
    {
        var schedule = RecurringSchedule.Parse(text, zone);
        var random = new Random(99);
        var start = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).Ticks;
        var span = TimeSpan.FromDays(16 * 365).Ticks;

        for (var i = 0; i < 300; i++)
        {
            // Random ticks, not just milliseconds, with a random offset: only the instant may matter.
            var at = new DateTimeOffset(start + (long)(random.NextDouble() * span), TimeSpan.Zero)
                .ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 4, 14 * 4 + 1) * 15));
            var next = schedule.GetNextOccurrence(at);

            next.Should().NotBeNull();
            next!.Value.Should().BeAfter(at);
            schedule.GetNextOccurrence(next.Value).Should().BeAfter(next.Value);
            schedule.GetNextOccurrence(next.Value.AddTicks(-1)).Should().Be(next, "an occurrence is found from just before it");
            schedule.GetNextOccurrence(at.ToOffset(TimeSpan.Zero)).Should().Be(next);
        }
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Preview_equals_repeated_GetNextOccurrence_in_the_zone_offset(string text, string zone)
    {
        var schedule = RecurringSchedule.Parse(text, zone);
        var from = new DateTimeOffset(2031, 3, 1, 0, 0, 0, TimeSpan.Zero);

        var preview = schedule.Preview(from, 200);

        var expected = new List<DateTimeOffset>();
        for (var at = from; expected.Count < 200;)
        {
            at = schedule.GetNextOccurrence(at)!.Value;
            expected.Add(at);
        }

        preview.Should().Equal(expected);
        preview.Should().OnlyContain(o => o.Offset == schedule.TimeZone.GetUtcOffset(o));
        preview.Select(o => o.Offset.Ticks).Should().Equal(expected.Select(o => o.Offset.Ticks));
    }

    [Fact]
    public void Every_1_hour_is_exactly_3600_seconds_apart_across_DST_and_repeats_the_wall_clock_hour_in_fall_back()
    {
        var schedule = RecurringSchedule.Parse("every 1 hour", "America/New_York");

        var spring = schedule.Preview(new DateTimeOffset(2030, 3, 9, 12, 0, 0, TimeSpan.Zero), 48);
        var fall = schedule.Preview(new DateTimeOffset(2030, 11, 2, 12, 0, 0, TimeSpan.Zero), 48);

        spring.Zip(spring.Skip(1), (a, b) => b - a).Should().OnlyContain(d => d == TimeSpan.FromHours(1));
        fall.Zip(fall.Skip(1), (a, b) => b - a).Should().OnlyContain(d => d == TimeSpan.FromHours(1));
        spring.Select(Local).Should().NotContain(s => s.StartsWith("2030-03-10 02:", StringComparison.Ordinal));
        fall.Select(Local).Should().ContainInOrder("2030-11-03 01:00 -04:00", "2030-11-03 01:00 -05:00", "2030-11-03 02:00 -05:00");
    }

    [Theory]
    [InlineData("Europe/Berlin")]
    [InlineData("America/New_York")]
    [InlineData("Australia/Lord_Howe")]
    public void Every_1_day_at_0900_keeps_local_0900_across_DST(string zone)
    {
        var schedule = RecurringSchedule.Parse("every 1 day at 09:00", zone);

        var year = schedule.Preview(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 365);

        year.Should().OnlyContain(o => o.TimeOfDay == TimeSpan.FromHours(9));
        year.Select(o => o.Date).Should().OnlyHaveUniqueItems().And.HaveCount(365);
        year.Select(o => o.Offset).Distinct().Should().HaveCount(2, "the offset changes twice a year but the wall clock does not");
    }

    [Fact]
    public void Elapsed_intervals_are_aligned_to_the_Unix_epoch_before_and_after_1970()
    {
        var schedule = RecurringSchedule.Parse("every 7 seconds", "Asia/Tehran");

        schedule.NextAfterMs(-1).Should().Be(0);
        schedule.NextAfterMs(0).Should().Be(7_000);
        schedule.NextAfterMs(-7_001).Should().Be(-7_000);
        schedule.NextAfterMs(1_893_456_000_123).Should().Be(1_893_456_005_000, "1893455998 is the last multiple of 7 before");
    }

    [Fact]
    public void Week_intervals_count_from_Monday_1970_01_05()
    {
        var start = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

        RecurringSchedule.Parse("every 2 weeks").GetNextOccurrence(start).Should().Be(new DateTimeOffset(1970, 1, 5, 0, 0, 0, TimeSpan.Zero));
        RecurringSchedule.Parse("every 3 weeks on wednesday at 12:00").Preview(start, 2)
            .Should().Equal(new DateTimeOffset(1970, 1, 7, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(1970, 1, 28, 12, 0, 0, TimeSpan.Zero));
        RecurringSchedule.Parse("every 2 days").Preview(start, 2)
            .Should().Equal(new DateTimeOffset(1970, 1, 3, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(1970, 1, 5, 0, 0, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("Pacific/Auckland")]
    [InlineData("Pacific/Honolulu")]
    [InlineData("UTC")]
    public void Day_intervals_count_local_dates_so_every_zone_runs_on_the_same_calendar_dates(string zone)
    {
        var occurrences = RecurringSchedule.Parse("every 4 days at 08:00", zone).Preview(new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero), 50);

        occurrences.Should().OnlyContain(o => (o.Date - DateTime.UnixEpoch).Days % 4 == 0 && o.TimeOfDay == TimeSpan.FromHours(8));
    }

    [Fact]
    public void A_schedule_with_no_matching_date_has_no_occurrence()
    {
        var schedule = RecurringSchedule.Parse("0 0 30 2 *", "Europe/Berlin");

        schedule.GetNextOccurrence(DateTimeOffset.MinValue).Should().BeNull();
        schedule.Preview(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 10).Should().BeEmpty();
    }

    [Fact]
    public void Preview_stops_early_when_the_schedule_runs_out_before_year_10000()
    {
        var schedule = RecurringSchedule.Parse("0 0 29 2 *");

        schedule.Preview(new DateTimeOffset(9990, 1, 1, 0, 0, 0, TimeSpan.Zero), 10).Select(o => o.Year).Should().Equal(9992, 9996);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void Preview_refuses_a_count_outside_1_to_1000(int count)
    {
        var act = () => RecurringSchedule.Parse("@hourly").Preview(DateTimeOffset.UnixEpoch, count);

        act.Should().Throw<ArgumentOutOfRangeException>().Which.Should().Match<ArgumentOutOfRangeException>(e =>
            e.ParamName == "count" && e.Message.StartsWith($"count must be from 1 to 1000; got {count}.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public void Preview_accepts_the_bounds(int count)
    {
        RecurringSchedule.Parse("*/5 * * * * *").Preview(DateTimeOffset.UnixEpoch, count).Should().HaveCount(count);
    }

    [Theory]
    [InlineData("* * * * * *", "Pacific/Kiritimati")]
    [InlineData("* * * * *", "Pacific/Pago_Pago")]
    [InlineData("every 1 second", "UTC")]
    [InlineData("every 1 day at 23:59", "Pacific/Kiritimati")]
    [InlineData("every 1 week on sunday", "Pacific/Pago_Pago")]
    [InlineData("@yearly", "America/New_York")]
    public void The_ends_of_DateTimeOffset_range_give_an_answer_or_null_but_never_throw(string text, string zone)
    {
        var schedule = RecurringSchedule.Parse(text, zone);

        var first = schedule.NextAfterMs(MinMs);
        var last = schedule.NextAfterMs(MaxMs);

        first.Should().BeGreaterThan(MinMs);
        last.Should().BeNull();
        schedule.GetNextOccurrence(DateTimeOffset.MaxValue).Should().BeNull();
        schedule.NextAfterMs(MaxMs - 86_400_000L).Should().Match(n => n == null || (n > MaxMs - 86_400_000L && n <= MaxMs));
        FluentActions.Invoking(() => schedule.NextAfterMs(MinMs - 1)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => schedule.NextAfterMs(MaxMs + 1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void NextAfterMs_agrees_with_GetNextOccurrence()
    {
        var schedule = RecurringSchedule.Parse("*/15 * * * *", "America/New_York");
        var at = new DateTimeOffset(2030, 11, 3, 5, 50, 0, TimeSpan.Zero);

        schedule.NextAfterMs(at.ToUnixTimeMilliseconds()).Should().Be(schedule.GetNextOccurrence(at)!.Value.ToUnixTimeMilliseconds());
    }

    private static string Local(DateTimeOffset value) => value.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);
}
