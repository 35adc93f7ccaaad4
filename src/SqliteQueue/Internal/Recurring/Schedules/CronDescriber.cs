using System.Globalization;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>
/// English for the cron forms people write most; anything else reads "Cron '…'" rather than risk a wrong sentence.
/// </summary>
internal static class CronDescriber
{
    private static readonly string[] MonthNames =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    public static string Describe(CronFields f)
    {
        if (f.Seconds is null || f.Minutes is null || f.Hours is null)
        {
            return Generic(f);
        }

        var time = TimeOfDay(f, out var periodicAllDay);
        var date = Dates(f);
        if (time is null || date is null)
        {
            return Generic(f);
        }

        // "Every 15 minutes" already says it runs every day; "At 09:00" does not.
        return periodicAllDay && date == "every day" ? time : $"{time}, {date}";
    }

    public static string Generic(CronFields f) => $"Cron '{f.Text}'";

    /// <summary>The time-of-day phrase, or null when no plain phrase fits.</summary>
    private static string? TimeOfDay(CronFields f, out bool periodicAllDay)
    {
        int[] s = f.Seconds!, m = f.Minutes!, h = f.Hours!;
        periodicAllDay = false;

        if (s.Length * m.Length * h.Length <= 4)
        {
            var times = h.SelectMany(hour => m.SelectMany(minute => s.Select(second => Clock(hour, minute, second)))).ToList();
            return "At " + List(times);
        }

        var allHours = h.Length == 24;
        if (s.Length == 60 || EvenStep(f.Raw[0], 60) is not null)
        {
            // Seconds-level repetition reads well only across whole days.
            if (m.Length != 60 || !allHours)
            {
                return null;
            }

            periodicAllDay = true;
            return s.Length == 60 ? "Every second" : $"Every {Num(EvenStep(f.Raw[0], 60)!.Value)} seconds";
        }

        var atSecond = s is [0] ? "" : s.Length == 1 ? $", at second {Num(s[0])}" : null;
        if (atSecond is null)
        {
            return null;
        }

        string? minutesPhrase = m.Length == 60 ? "Every minute"
            : EvenStep(f.Raw[1], 60) is { } step ? $"Every {Num(step)} minutes"
            : null;
        if (minutesPhrase is not null)
        {
            periodicAllDay = allHours;
            return allHours ? minutesPhrase + atSecond
                : HourSpan(h) is { } span ? $"{minutesPhrase} {span}{atSecond}"
                : null;
        }

        if (m.Length > 12)
        {
            return null;
        }

        var past = m is [0] ? "on the hour" : $"at {(m.Length == 1 ? "minute" : "minutes")} {List(m.Select(Num))}";
        if (allHours)
        {
            periodicAllDay = true;
            return $"Every hour, {past}{atSecond}";
        }

        if (EvenStep(f.Raw[2], 24) is { } hourStep)
        {
            periodicAllDay = true;
            return $"Every {Num(hourStep)} hours, {past}{atSecond}";
        }

        return m.Length == 1 && HourSpan(h) is not null
            ? $"Every hour from {Clock(h[0], m[0], s[0])} to {Clock(h[^1], m[0], s[0])}"
            : null;
    }

    /// <summary>The date phrase, or null when no plain phrase fits.</summary>
    private static string? Dates(CronFields f)
    {
        if (f.DaysOfMonth is not { } dom || f.Months is not { } months || f.DaysOfWeek is not { } dow)
        {
            return null;
        }

        var anyDom = dom.Length == 31;
        var anyMonth = months.Length == 12;
        var anyDow = dow.Length == 7;
        var inMonths = anyMonth ? "" : $" in {List(months.Select(x => MonthNames[x - 1]))}";

        if (anyDom && anyDow)
        {
            return anyMonth ? "every day" : $"every day{inMonths}";
        }

        if (anyDom)
        {
            var days = dow.SequenceEqual([1, 2, 3, 4, 5]) ? "on weekdays"
                : dow.SequenceEqual([0, 6]) ? "on weekends"
                : $"every {List(dow.Select(d => ((DayOfWeek)d).ToString()))}";
            return days + inMonths;
        }

        if (dom.Length > 5)
        {
            return null;
        }

        var dayNumbers = List(dom.Select(Num));
        var onDays = months.Length == 1 && dom.Length == 1
            ? $"on {dayNumbers} {MonthNames[months[0] - 1]}"
            : $"on {(dom.Length == 1 ? "day" : "days")} {dayNumbers} of {(anyMonth ? "the month" : List(months.Select(x => MonthNames[x - 1])))}";

        // Cronos matches day-of-month AND day-of-week, unlike classic cron's OR: say so.
        return anyDow ? onDays : $"{onDays}, only if it is a {List(dow.Select(d => ((DayOfWeek)d).ToString()), "or")}";
    }

    /// <summary>"in hour 3" style qualifier for a contiguous block of hours, or null.</summary>
    private static string? HourSpan(int[] hours)
    {
        for (var i = 1; i < hours.Length; i++)
        {
            if (hours[i] != hours[i - 1] + 1)
            {
                return null;
            }
        }

        return $"from {Clock(hours[0], 0, 0)} to {Clock(hours[^1], 59, 0)}";
    }

    /// <summary>n when the field is "*/n" or "0/n" and n divides the cycle, so the gaps are all equal.</summary>
    public static int? EvenStep(string field, int cycle) =>
        CronFields.Step(field) is { } step && step > 1 && cycle % step == 0 ? step : null;

    public static string Clock(int hour, int minute, int second) => second == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{hour:00}:{minute:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{hour:00}:{minute:00}:{second:00}");

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string List(IEnumerable<string> items, string conjunction = "and")
    {
        var all = items.ToList();
        return all.Count switch
        {
            0 => "",
            1 => all[0],
            _ => $"{string.Join(", ", all.Take(all.Count - 1))} {conjunction} {all[^1]}",
        };
    }
}
