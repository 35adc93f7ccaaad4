using System.Globalization;

namespace SqliteQueue.CommandLine.Internal;

/// <summary>Durations as operators type them: <c>90s</c>, <c>15m</c>, <c>2h</c>, <c>7d</c>, <c>1w</c>, <c>500ms</c>, or a .NET time span (<c>01:30:00</c>).</summary>
internal static class Durations
{
    private static readonly (string Suffix, double Milliseconds)[] Units =
    [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 7 * 86_400_000.0),
    ];

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var trimmed = text.Trim();
        foreach (var (suffix, ms) in Units.OrderByDescending(u => u.Suffix.Length))
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(trimmed[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
                && amount >= 0 && double.IsFinite(amount) && amount * ms < TimeSpan.MaxValue.TotalMilliseconds)
            {
                duration = TimeSpan.FromMilliseconds(amount * ms);
                return true;
            }
        }

        return TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    /// <summary>Short and readable: <c>850ms</c>, <c>12.5s</c>, <c>3m 20s</c>, <c>5h 02m</c>, <c>2d 03h</c>.</summary>
    public static string Format(TimeSpan value)
    {
        var sign = value < TimeSpan.Zero ? "-" : "";
        value = value.Duration();
        return sign + (value.TotalSeconds < 1 ? Invariant($"{value.TotalMilliseconds:0}ms")
            : value.TotalMinutes < 1 ? Invariant($"{value.TotalSeconds:0.#}s")
            : value.TotalHours < 1 ? Invariant($"{value.Minutes}m {value.Seconds:00}s")
            : value.TotalDays < 1 ? Invariant($"{value.Hours}h {value.Minutes:00}m")
            : Invariant($"{(int)value.TotalDays}d {value.Hours:00}h"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
