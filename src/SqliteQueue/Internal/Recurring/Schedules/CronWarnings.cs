using System.Globalization;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>Cron texts that parse but are probably not what the writer meant.</summary>
internal static class CronWarnings
{
    public static string NeverRuns(string text) =>
        $"The schedule '{text}' never runs: no calendar date matches its day, month and weekday fields together.";

    /// <summary>The first warning that applies, most harmful first, or null.</summary>
    public static string? Find(CronFields f) =>
        f.IsMacro ? null : RepeatsWithinFixedTime(f) ?? BothDayFields(f) ?? UnevenStep(f);

    /// <summary>
    /// "* 3 * * *" runs 60 times in hour 3, a common misreading of cron: a "*" below a restricted second/minute/hour field.
    /// </summary>
    private static string? RepeatsWithinFixedTime(CronFields f)
    {
        // 0 = seconds, 1 = minutes, 2 = hours; the highest restricted field is the one the writer meant to fix.
        var restricted = -1;
        for (var i = 2; i >= 1 && restricted < 0; i--)
        {
            if (!CronFields.IsStar(f.Raw[i]))
            {
                restricted = i;
            }
        }

        var first = f.HasSeconds ? 0 : 1;
        var stars = Enumerable.Range(first, Math.Max(restricted - first, 0)).Where(i => CronFields.IsStar(f.Raw[i])).ToList();
        if (restricted < 0 || stars.Count == 0)
        {
            return null;
        }

        var fixedFields = f.Raw.ToArray();
        foreach (var i in stars)
        {
            fixedFields[i] = "0";
        }

        var suggestion = string.Join(' ', f.HasSeconds ? fixedFields : fixedFields[1..]);
        var unit = stars[0] == 0 ? "second" : "minute";
        var perDay = (f.Seconds?.Length ?? 0) * (f.Minutes?.Length ?? 0) * (f.Hours?.Length ?? 0);
        var howOften = perDay > 0 ? $", {perDay.ToString(CultureInfo.InvariantCulture)} times a day" : "";
        var span = unit == "minute" && restricted == 2 && f.Hours is [var hour]
            ? $"from {CronDescriber.Clock(hour, 0, 0)} to {CronDescriber.Clock(hour, 59, 0)}"
            : "while its other time fields match";
        var fixedTime = CronFields.Parse(suggestion);
        var meant = fixedTime is { Seconds: [var s], Minutes: [var m], Hours: [var h] }
            ? $"once at {CronDescriber.Clock(h, m, s)}"
            : $"once at the start of each {(restricted == 2 ? "hour" : "minute")} it names";
        return $"The schedule '{f.Text}' runs every {unit} {span}{howOften}; if you meant {meant}, use '{suggestion}'.";
    }

    /// <summary>Cronos ANDs day-of-month with day-of-week where classic cron ORs them: a porting trap.</summary>
    private static string? BothDayFields(CronFields f) =>
        CronFields.IsStar(f.Raw[3]) || CronFields.IsStar(f.Raw[5])
            ? null
            : $"The schedule '{f.Text}' runs only on dates that match both its day-of-month ({f.Raw[3]}) and its day-of-week ({f.Raw[5]}); " +
              "classic cron runs on dates that match either. For either, use two recurring jobs.";

    /// <summary>"*/7" restarts at each minute/hour/day boundary, so the last gap is shorter; an interval is exact.</summary>
    private static string? UnevenStep(CronFields f)
    {
        (int Field, int Cycle, string Unit)[] candidates = [(0, 60, "second"), (1, 60, "minute"), (2, 24, "hour")];
        foreach (var (field, cycle, unit) in candidates)
        {
            if ((field == 0 && !f.HasSeconds) || CronFields.Step(f.Raw[field]) is not { } step || step <= 1 || cycle % step == 0)
            {
                continue;
            }

            // The short gap shows only when the field above runs on, e.g. every hour after a minute step.
            var above = field < 2 ? [f.Raw[field + 1]] : new[] { f.Raw[3], f.Raw[4], f.Raw[5] };
            if (!above.All(CronFields.IsStar))
            {
                continue;
            }

            var last = (cycle - 1) / step * step;
            var next = unit switch { "second" => "minute", "minute" => "hour", _ => "day" };
            return $"The schedule '{f.Text}' restarts its {unit} step at every {next}, so after {unit} {N(last)} the next run comes " +
                $"{N(cycle - last)} {(cycle - last == 1 ? unit : unit + "s")} later, not {N(step)}. For exactly every {N(step)} {unit}s, use \"every {N(step)} {unit}s\".";
        }

        return null;
    }

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}
