using System.Globalization;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>
/// A cron expression already accepted by Cronos, split into its six fields (seconds first) and, where a field uses
/// only numbers, names, ranges, lists and steps, the sorted set of values it matches. Describe and the warnings
/// read these; the occurrences come from Cronos alone.
/// </summary>
internal sealed class CronFields
{
    private static readonly Dictionary<string, string> Macros = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@every_second"] = "* * * * * *",
        ["@every_minute"] = "0 * * * * *",
        ["@hourly"] = "0 0 * * * *",
        ["@daily"] = "0 0 0 * * *",
        ["@midnight"] = "0 0 0 * * *",
        ["@weekly"] = "0 0 0 * * 0",
        ["@monthly"] = "0 0 0 1 * *",
        ["@yearly"] = "0 0 0 1 1 *",
        ["@annually"] = "0 0 0 1 1 *",
    };

    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private CronFields(string text, bool hasSeconds, string[] raw)
    {
        Text = text;
        HasSeconds = hasSeconds;
        Raw = raw;
        Seconds = Expand(raw[0], 0, 59, null);
        Minutes = Expand(raw[1], 0, 59, null);
        Hours = Expand(raw[2], 0, 23, null);
        DaysOfMonth = Expand(raw[3], 1, 31, null);
        Months = Expand(raw[4], 1, 12, MonthNames);
        DaysOfWeek = Expand(raw[5], 0, 7, DayNames)?.Select(d => d % 7).Distinct().Order().ToArray();
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>True when the written form has a seconds field (6 fields, or a macro that Cronos reads with seconds).</summary>
    public bool HasSeconds { get; }

    /// <summary>The six field texts, seconds first; "0" for seconds when the expression has five fields.</summary>
    public string[] Raw { get; }

    public int[]? Seconds { get; }

    public int[]? Minutes { get; }

    public int[]? Hours { get; }

    public int[]? DaysOfMonth { get; }

    public int[]? Months { get; }

    /// <summary>0 = Sunday .. 6 = Saturday (7 folded onto 0).</summary>
    public int[]? DaysOfWeek { get; }

    public bool IsMacro => Text.StartsWith('@');

    public static CronFields Parse(string text)
    {
        if (Macros.TryGetValue(text, out var equivalent))
        {
            return new CronFields(text, hasSeconds: false, equivalent.Split(' '));
        }

        var parts = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 6
            ? new CronFields(text, hasSeconds: true, parts)
            : new CronFields(text, hasSeconds: false, ["0", .. parts]);
    }

    /// <summary>True when the field is written as "*" or "?", with no step.</summary>
    public static bool IsStar(string field) => field is "*" or "?";

    /// <summary>The step n when the field is written "*/n" or "0/n" (the forms people use for "every n").</summary>
    public static int? Step(string field)
    {
        var slash = field.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || field[..slash] is not ("*" or "?" or "0"))
        {
            return null;
        }

        return int.TryParse(field.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;
    }

    /// <summary>The values a field matches, or null when it uses H, L, W, #, or anything else this reader does not model.</summary>
    private static int[]? Expand(string field, int min, int max, string[]? names)
    {
        var values = new SortedSet<int>();
        foreach (var part in field.Split(','))
        {
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            var range = slash < 0 ? part : part[..slash];
            var step = 1;
            if (slash >= 0 && !int.TryParse(part.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out step))
            {
                return null;
            }

            int from, to;
            if (IsStar(range))
            {
                (from, to) = (min, max);
            }
            else
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                if (Value(dash < 0 ? range : range[..dash], names) is not { } a)
                {
                    return null;
                }

                from = a;
                to = a;
                if (dash >= 0)
                {
                    if (Value(range[(dash + 1)..], names) is not { } b || b < a)
                    {
                        return null; // reversed ranges wrap around; rare enough to leave to the generic text
                    }

                    to = b;
                }
                else if (slash >= 0)
                {
                    to = max;
                }
            }

            if (step < 1 || from < min || to > max)
            {
                return null;
            }

            for (var v = from; v <= to; v += step)
            {
                values.Add(v);
            }
        }

        return [.. values];
    }

    private static int? Value(string token, string[]? names)
    {
        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        var index = names is null ? -1 : Array.FindIndex(names, n => n.Equals(token, StringComparison.OrdinalIgnoreCase));
        return index < 0 ? null : index + (names == MonthNames ? 1 : 0);
    }
}
