using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Recurring.Schedules;

/// <summary>
/// Occurrences from 2020 through 2035 checked against <see cref="WallClockOracle"/>, in zones chosen for their odd
/// transitions: 30-minute shifts (Lord Howe), quarter-hour offsets (Chatham), changes at midnight (Santiago, and Tehran,
/// which dropped DST after 2022).
/// </summary>
public sealed class DstTableTests
{
    public static readonly string[] Zones =
        ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago", "Asia/Tehran"];

    /// <summary>Cron expressions that repeat within the day, with the minute-level rule they mean and whether Cronos calls them interval ones.</summary>
    private static readonly Dictionary<string, (Func<DateTime, bool> Matches, bool Interval)> RepeatingCron = new()
    {
        ["*/15 * * * *"] = (t => t.Minute % 15 == 0, true),
        ["0 * * * *"] = (t => t.Minute == 0, true),
        ["30 * * * *"] = (t => t.Minute == 30, true),
        ["* 2 * * *"] = (t => t.Hour == 2, true),
        ["* 23 * * *"] = (t => t.Hour == 23, true),
        ["0,30 0-3 * * *"] = (t => t.Minute % 30 == 0 && t.Hour <= 3, true),
        ["*/20 23,0 * * *"] = (t => t.Minute % 20 == 0 && t.Hour is 23 or 0, true),
        // Lists alone are not intervals: these fire once per wall time, in the first copy of a repeated hour.
        ["0,30 1,2 * * *"] = (t => t.Minute % 30 == 0 && t.Hour is 1 or 2, false),
        ["0,15,30,45 2,3 * * *"] = (t => t.Minute % 15 == 0 && t.Hour is 2 or 3, false),
        ["0 0,30 23 * * *"] = (t => t.Minute % 30 == 0 && t.Hour == 23, false),
    };

    /// <summary>Schedules that fire at most once a day, as a wall time and the dates they fire on.</summary>
    private static readonly Dictionary<string, (TimeSpan Time, Func<DateTime, bool> OnDate)> Daily = new()
    {
        ["0 0 * * *"] = (new(0, 0, 0), _ => true),
        ["@daily"] = (new(0, 0, 0), _ => true),
        ["30 2 * * *"] = (new(2, 30, 0), _ => true),
        ["30 1 * * *"] = (new(1, 30, 0), _ => true),
        ["15 2 * * *"] = (new(2, 15, 0), _ => true),
        ["45 1 * * *"] = (new(1, 45, 0), _ => true),
        ["0 3 * * *"] = (new(3, 0, 0), _ => true),
        ["15 3 * * *"] = (new(3, 15, 0), _ => true),
        ["30 23 * * *"] = (new(23, 30, 0), _ => true),
        ["20 30 2 * * *"] = (new(2, 30, 20), _ => true),
        ["30 2 * * 0"] = (new(2, 30, 0), d => d.DayOfWeek == DayOfWeek.Sunday),
        ["every 1 day at 02:30"] = (new(2, 30, 0), _ => true),
        ["every 1 day"] = (new(0, 0, 0), _ => true),
        ["every 1 day at 23:30"] = (new(23, 30, 0), _ => true),
        ["every 1 day at 03:15"] = (new(3, 15, 0), _ => true),
        ["every 1 day at 01:45:30"] = (new(1, 45, 30), _ => true),
        ["every 3 days at 01:30"] = (new(1, 30, 0), d => DayNumber(d) % 3 == 0),
        ["every 1 week on sunday at 02:30"] = (new(2, 30, 0), d => d.DayOfWeek == DayOfWeek.Sunday),
        ["every 2 weeks on sat at 23:30"] = (new(23, 30, 0), d => d.DayOfWeek == DayOfWeek.Saturday && WeekNumber(d) % 2 == 0),
        ["every 1 week"] = (new(0, 0, 0), d => d.DayOfWeek == DayOfWeek.Monday),
    };

    public static TheoryData<string, string> RepeatingCases() => Cross(RepeatingCron.Keys);

    public static TheoryData<string, string> DailyCases() => Cross(Daily.Keys);

    public static TheoryData<string> ZoneCases() => [.. Zones];

    [Theory]
    [MemberData(nameof(RepeatingCases))]
    public void Repeating_cron_matches_the_wall_clock_oracle_around_every_transition_from_any_instant(string zoneId, string expression)
    {
        var schedule = RecurringSchedule.Parse(expression, zoneId);
        var zone = schedule.TimeZone;
        var (matches, interval) = RepeatingCron[expression];
        var random = new Random(17);

        foreach (var (fromMs, toMs) in Windows(zone))
        {
            // A day beyond the window on each side, so that every instant in it has a known next occurrence.
            var oracle = OracleMinutes(zone, fromMs - 86_400_000, toMs + 86_400_000, matches, interval);
            var expected = oracle.Where(o => o > fromMs && o <= toMs).ToList();
            var actual = WallClockOracle.Enumerate(schedule, fromMs, toMs);

            actual.Should().Equal(expected, "{0} in {1} differs {2}", expression, zoneId, WallClockOracle.FirstDifference(zone, expected, actual));
            for (var i = 0; i < 30; i++)
            {
                var t = fromMs + (long)(random.NextDouble() * (toMs - fromMs));
                schedule.NextAfterMs(t).Should().Be(WallClockOracle.FirstAfter(oracle, t), "{0} in {1} after {2:O}", expression, zoneId, WallClockOracle.ToLocal(zone, t));
            }
        }
    }

    [Theory]
    [MemberData(nameof(DailyCases))]
    public void Daily_and_weekly_schedules_match_the_wall_clock_oracle_for_sixteen_years_from_any_instant(string zoneId, string expression)
    {
        var schedule = RecurringSchedule.Parse(expression, zoneId);
        var zone = schedule.TimeZone;
        var (time, onDate) = Daily[expression];
        var fromMs = WallClockOracle.RangeStart.ToUnixTimeMilliseconds();
        var toMs = WallClockOracle.RangeEnd.ToUnixTimeMilliseconds();
        var oracle = WallClockOracle.Occurrences(
            zone, new DateTime(2019, 12, 1) + time, new DateTime(2036, 2, 1), TimeSpan.FromDays(1), onDate, bothCopies: false);

        var expected = oracle.Where(o => o > fromMs && o <= toMs).ToList();
        var actual = WallClockOracle.Enumerate(schedule, fromMs, toMs);

        actual.Should().Equal(expected, "{0} in {1} differs {2}", expression, zoneId, WallClockOracle.FirstDifference(zone, expected, actual));
        var random = new Random(23);
        foreach (var (windowFrom, windowTo) in Windows(zone))
        {
            for (var i = 0; i < 20; i++)
            {
                var t = windowFrom + (long)(random.NextDouble() * (windowTo - windowFrom));
                schedule.NextAfterMs(t).Should().Be(WallClockOracle.FirstAfter(oracle, t), "{0} in {1} after {2:O}", expression, zoneId, WallClockOracle.ToLocal(zone, t));
            }

            // Just before each occurrence in the window; just after is the enumeration above.
            foreach (var o in expected.Where(o => o > windowFrom && o <= windowTo))
            {
                schedule.NextAfterMs(o - 1).Should().Be(o);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ZoneCases))]
    public void Elapsed_intervals_are_the_multiples_of_their_period_whatever_the_zone(string zoneId)
    {
        foreach (var (expression, periodMs) in new[] { ("every 1 hour", 3_600_000L), ("every 15 minutes", 900_000L), ("every 90 minutes", 5_400_000L), ("every 7 minutes", 420_000L) })
        {
            var schedule = RecurringSchedule.Parse(expression, zoneId);
            foreach (var (fromMs, toMs) in Windows(schedule.TimeZone))
            {
                var expected = new List<long>();
                for (var t = ((fromMs / periodMs) + 1) * periodMs; t <= toMs; t += periodMs)
                {
                    expected.Add(t);
                }

                expected.Should().OnlyContain(t => t % periodMs == 0 && t > fromMs);

                WallClockOracle.Enumerate(schedule, fromMs, toMs).Should().Equal(expected, "{0} in {1}", expression, zoneId);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ZoneCases))]
    public void Every_day_at_a_time_agrees_with_the_cron_for_that_time(string zoneId)
    {
        var interval = RecurringSchedule.Parse("every 1 day at 02:30", zoneId);
        var cron = RecurringSchedule.Parse("30 2 * * *", zoneId);

        interval.Preview(WallClockOracle.RangeStart, 1000).Should().Equal(cron.Preview(WallClockOracle.RangeStart, 1000));
        interval.Preview(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 1000)
            .Should().Equal(cron.Preview(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 1000));
    }

    private static List<long> OracleMinutes(TimeZoneInfo zone, long fromMs, long toMs, Func<DateTime, bool> matches, bool interval)
    {
        // Wall times a day either side cover every instant in the window, whatever the offset.
        var localFrom = WallClockOracle.ToLocal(zone, fromMs).Date.AddDays(-1);
        var localTo = WallClockOracle.ToLocal(zone, toMs).Date.AddDays(2);
        return WallClockOracle.Occurrences(zone, localFrom, localTo, TimeSpan.FromMinutes(1), matches, interval)
            .Where(o => o > fromMs && o <= toMs)
            .ToList();
    }

    /// <summary>Three days of UTC around each transition in 2020..2035, as (from, to] in Unix ms.</summary>
    private static IEnumerable<(long From, long To)> Windows(TimeZoneInfo zone) =>
        WallClockOracle.TransitionDays(zone).Select(noon =>
            (WallClockOracle.ToMs(noon.AddDays(-1)), WallClockOracle.ToMs(noon.AddDays(2))));

    private static long DayNumber(DateTime date) => (long)(date.Date - DateTime.UnixEpoch.Date).TotalDays;

    private static long WeekNumber(DateTime date) => (long)Math.Floor((DayNumber(date) - 4) / 7.0);

    private static TheoryData<string, string> Cross(IEnumerable<string> expressions)
    {
        var data = new TheoryData<string, string>();
        foreach (var zone in Zones)
        {
            foreach (var expression in expressions)
            {
                data.Add(zone, expression);
            }
        }

        return data;
    }
}
