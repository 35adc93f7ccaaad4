using System.Globalization;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>
/// Parses "every &lt;n&gt; &lt;unit&gt; [on &lt;weekday&gt;] [at HH:mm[:ss]]": case-insensitive, any run of white space between words,
/// "on" and "at" in either order.
/// </summary>
internal static class IntervalParser
{
    private static readonly Dictionary<string, (string Unit, long Ms)> Units = new(StringComparer.OrdinalIgnoreCase)
    {
        ["second"] = ("second", 1_000), ["seconds"] = ("second", 1_000),
        ["minute"] = ("minute", 60_000), ["minutes"] = ("minute", 60_000),
        ["hour"] = ("hour", 3_600_000), ["hours"] = ("hour", 3_600_000),
        ["day"] = ("day", 86_400_000), ["days"] = ("day", 86_400_000),
        ["week"] = ("week", 604_800_000), ["weeks"] = ("week", 604_800_000),
    };

    private static readonly Dictionary<string, DayOfWeek> Weekdays = new(StringComparer.OrdinalIgnoreCase)
    {
        ["monday"] = DayOfWeek.Monday, ["mon"] = DayOfWeek.Monday,
        ["tuesday"] = DayOfWeek.Tuesday, ["tue"] = DayOfWeek.Tuesday,
        ["wednesday"] = DayOfWeek.Wednesday, ["wed"] = DayOfWeek.Wednesday,
        ["thursday"] = DayOfWeek.Thursday, ["thu"] = DayOfWeek.Thursday,
        ["friday"] = DayOfWeek.Friday, ["fri"] = DayOfWeek.Friday,
        ["saturday"] = DayOfWeek.Saturday, ["sat"] = DayOfWeek.Saturday,
        ["sunday"] = DayOfWeek.Sunday, ["sun"] = DayOfWeek.Sunday,
    };

    /// <summary>True when the text is meant as an interval, so its errors should speak of intervals, not cron.</summary>
    public static bool LooksLikeInterval(string text) =>
        text.StartsWith("every", StringComparison.OrdinalIgnoreCase) && (text.Length == 5 || char.IsWhiteSpace(text[5]));

    /// <summary>Parses trimmed text for which <see cref="LooksLikeInterval"/> is true; throws ArgumentException naming it.</summary>
    public static ScheduleRule Parse(string schedule, TimeZoneInfo zone)
    {
        var words = schedule.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2)
        {
            throw Fail(schedule, ScheduleErrors.MissingCountAndUnit);
        }

        var count = ParseCount(schedule, words[1]);
        if (words.Length < 3)
        {
            throw Fail(schedule, ScheduleErrors.MissingUnit(words[1]));
        }

        if (!Units.TryGetValue(words[2], out var unit))
        {
            throw Fail(schedule, ScheduleErrors.UnknownUnit(words[2]));
        }

        if (count > RecurringScheduleLimits.MaxIntervalDays * 86_400_000L / unit.Ms)
        {
            throw Fail(schedule, ScheduleErrors.TooLong(words[1], words[2], RecurringScheduleLimits.MaxIntervalDays));
        }

        TimeSpan? at = null;
        DayOfWeek? on = null;
        for (var i = 3; i < words.Length; i += 2)
        {
            var keyword = words[i];
            var isAt = keyword.Equals("at", StringComparison.OrdinalIgnoreCase) && at is null;
            var isOn = keyword.Equals("on", StringComparison.OrdinalIgnoreCase) && on is null;
            if (!isAt && !isOn)
            {
                throw Fail(schedule, ScheduleErrors.Unexpected(keyword));
            }

            if (i + 1 >= words.Length)
            {
                throw Fail(schedule, ScheduleErrors.MissingValue(keyword));
            }

            var value = words[i + 1];
            if (isAt)
            {
                if (unit.Unit is not ("day" or "week"))
                {
                    throw Fail(schedule, ScheduleErrors.AtNeedsCalendarUnit(value));
                }

                at = ParseTime(value) ?? throw Fail(schedule, ScheduleErrors.NotATime(value));
            }
            else
            {
                if (unit.Unit != "week")
                {
                    throw Fail(schedule, ScheduleErrors.OnNeedsWeeks(value));
                }

                on = Weekdays.TryGetValue(value, out var day) ? day : throw Fail(schedule, ScheduleErrors.NotAWeekday(value));
            }
        }

        return unit.Unit switch
        {
            "day" => CalendarIntervalRule.Days(zone, count, at ?? TimeSpan.Zero),
            "week" => CalendarIntervalRule.Weeks(zone, count, on ?? DayOfWeek.Monday, at ?? TimeSpan.Zero),
            _ => new ElapsedIntervalRule(count, unit.Unit, unit.Ms),
        };
    }

    private static long ParseCount(string schedule, string token)
    {
        if (long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return count >= 1 ? count : throw Fail(schedule, ScheduleErrors.CountBelowOne(token));
        }

        if (token.Length > 1 && token[0] == '-' && token.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0)
        {
            throw Fail(schedule, ScheduleErrors.CountBelowOne(token));
        }

        // Digits alone that overflow a long are simply too many of any unit.
        if (token.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0)
        {
            return long.MaxValue;
        }

        throw Fail(schedule, ScheduleErrors.NotWholeNumber(token));
    }

    private static TimeSpan? ParseTime(string token)
    {
        var parts = token.Split(':');
        if (parts.Length is not (2 or 3)
            || !TryPart(parts[0], 1, 23, out var hours)
            || !TryPart(parts[1], 2, 59, out var minutes))
        {
            return null;
        }

        var seconds = 0;
        if (parts.Length == 3 && !TryPart(parts[2], 2, 59, out seconds))
        {
            return null;
        }

        return new TimeSpan(hours, minutes, seconds);
    }

    private static bool TryPart(string part, int minDigits, int max, out int value)
    {
        value = 0;
        return part.Length >= minDigits && part.Length <= 2
            && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value)
            && value <= max;
    }

    private static ArgumentException Fail(string schedule, string detail) =>
        new(ScheduleErrors.InvalidInterval(schedule, detail), nameof(schedule));
}
