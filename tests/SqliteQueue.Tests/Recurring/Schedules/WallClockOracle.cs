using System.Globalization;
using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Recurring.Schedules;

/// <summary>
/// An independent model of the documented DST rules, by brute force over the local wall clock. It shares no code with
/// the library: it finds instants by converting candidate UTC instants back to local time and keeping those that show
/// the wanted wall time, which needs no notion of "invalid" or "ambiguous" at all.
/// </summary>
internal static class WallClockOracle
{
    public static readonly DateTimeOffset RangeStart = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset RangeEnd = new(2036, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// The instants at which the wall clock reads each matching local time, walking <paramref name="step"/> at a time from
    /// <paramref name="localFrom"/> up to <paramref name="localTo"/>: a time the clock skips maps to the first instant after
    /// the skip; a time the clock shows twice maps to its first showing, and also to its second when <paramref name="bothCopies"/>.
    /// </summary>
    public static List<long> Occurrences(
        TimeZoneInfo zone, DateTime localFrom, DateTime localTo, TimeSpan step, Func<DateTime, bool> matches, bool bothCopies)
    {
        var found = new SortedSet<long>();
        for (var local = localFrom; local < localTo; local += step)
        {
            if (!matches(local))
            {
                continue;
            }

            var showings = Showings(zone, local);
            if (showings.Count == 0)
            {
                found.Add(FirstInstantAtOrAfter(zone, local));
                continue;
            }

            found.Add(showings[0]);
            if (bothCopies)
            {
                found.Add(showings[^1]);
            }
        }

        return [.. found];
    }

    /// <summary>The Unix-ms instants whose wall clock reads exactly <paramref name="local"/>, earliest first.</summary>
    public static List<long> Showings(TimeZoneInfo zone, DateTime local)
    {
        var asUtc = DateTime.SpecifyKind(local, DateTimeKind.Utc);
        // Transitions are months apart, so the offsets a day either side are the only ones in play.
        var offsets = new[] { zone.GetUtcOffset(asUtc.AddDays(-1)), zone.GetUtcOffset(asUtc), zone.GetUtcOffset(asUtc.AddDays(1)) };
        return offsets.Distinct()
            .Select(o => asUtc - o)
            .Where(u => TimeZoneInfo.ConvertTimeFromUtc(u, zone) == local)
            .Select(ToMs)
            .Distinct()
            .Order()
            .ToList();
    }

    /// <summary>For a wall time the clock skips: the first minute at which the clock reads it or later.</summary>
    private static long FirstInstantAtOrAfter(TimeZoneInfo zone, DateTime local)
    {
        var asUtc = DateTime.SpecifyKind(local, DateTimeKind.Utc);
        var u = asUtc - new[] { zone.GetUtcOffset(asUtc.AddDays(-1)), zone.GetUtcOffset(asUtc.AddDays(1)) }.Max();
        u = new DateTime(u.Ticks - (u.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Utc);
        while (TimeZoneInfo.ConvertTimeFromUtc(u, zone) < local)
        {
            u = u.AddMinutes(1);
        }

        return ToMs(u);
    }

    /// <summary>Every DST (or base-offset) change in the range, as the last UTC noon before it.</summary>
    public static List<DateTime> TransitionDays(TimeZoneInfo zone)
    {
        var days = new List<DateTime>();
        var previous = zone.GetUtcOffset(RangeStart.UtcDateTime.AddHours(-12));
        for (var noon = RangeStart.UtcDateTime.AddHours(12); noon < RangeEnd.UtcDateTime; noon = noon.AddDays(1))
        {
            var offset = zone.GetUtcOffset(noon);
            if (offset != previous)
            {
                days.Add(noon.AddDays(-1));
                previous = offset;
            }
        }

        return days;
    }

    /// <summary>The schedule's occurrences in (fromMs, toMs], by repeated NextAfterMs.</summary>
    public static List<long> Enumerate(RecurringSchedule schedule, long fromMs, long toMs)
    {
        var result = new List<long>();
        for (var next = schedule.NextAfterMs(fromMs); next is { } n && n <= toMs; next = schedule.NextAfterMs(n))
        {
            result.Add(n);
        }

        return result;
    }

    /// <summary>The first element of a sorted list that is greater than <paramref name="t"/>.</summary>
    public static long FirstAfter(List<long> sorted, long t)
    {
        var i = sorted.BinarySearch(t);
        i = i >= 0 ? i + 1 : ~i;
        return i < sorted.Count ? sorted[i] : throw new InvalidOperationException("The oracle's range ends before the instant.");
    }

    public static long ToMs(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    public static DateTime ToLocal(TimeZoneInfo zone, long ms) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime, zone);

    /// <summary>A readable account of where two occurrence lists first differ.</summary>
    public static string FirstDifference(TimeZoneInfo zone, IReadOnlyList<long> expected, IReadOnlyList<long> actual)
    {
        var i = 0;
        while (i < expected.Count && i < actual.Count && expected[i] == actual[i])
        {
            i++;
        }

        return i == expected.Count && i == actual.Count
            ? "none"
            : $"at #{i.ToString(CultureInfo.InvariantCulture)}: expected {Show(zone, expected, i)}, got {Show(zone, actual, i)}";
    }

    private static string Show(TimeZoneInfo zone, IReadOnlyList<long> list, int i)
    {
        if (i >= list.Count)
        {
            return "(end)";
        }

        var utc = DateTimeOffset.FromUnixTimeMilliseconds(list[i]);
        return utc.ToOffset(zone.GetUtcOffset(utc)).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
    }
}
