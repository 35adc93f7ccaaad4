namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>
/// Maps a wall-clock time in a zone to one instant with the rules Cronos applies to fixed-time (non-interval) cron
/// expressions, so "every 1 day at 02:30" and "30 2 * * *" agree on every day of every zone.
/// </summary>
internal static class WallClock
{
    /// <summary>
    /// The instant of <paramref name="local"/> (Kind Unspecified) in <paramref name="zone"/>, in Unix ms:
    /// a time in a spring-forward gap moves to the first valid instant after the gap, and a time in a
    /// repeated (fall-back) hour takes its first copy.
    /// </summary>
    public static long Resolve(TimeZoneInfo zone, DateTime local)
    {
        if (zone.IsInvalidTime(local))
        {
            // Transitions fall on whole minutes in the tz database, so the first valid minute is the end of the gap.
            var valid = new DateTime(local.Ticks - (local.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Unspecified);
            do
            {
                valid = valid.AddMinutes(1);
            }
            while (zone.IsInvalidTime(valid));

            return UnixTime.FromTicks(valid.Ticks - zone.GetUtcOffset(valid).Ticks);
        }

        if (zone.IsAmbiguousTime(local))
        {
            // The larger offset gives the earlier instant: the first time the clock shows this wall time.
            var offsets = zone.GetAmbiguousTimeOffsets(local);
            var first = offsets.Max();
            return UnixTime.FromTicks(local.Ticks - first.Ticks);
        }

        return UnixTime.FromTicks(local.Ticks - zone.GetUtcOffset(local).Ticks);
    }

    /// <summary>The wall-clock time in <paramref name="zone"/> at <paramref name="unixMs"/>.</summary>
    public static DateTime ToLocal(TimeZoneInfo zone, long unixMs) =>
        TimeZoneInfo.ConvertTimeFromUtc(UnixTime.ToUtcDateTime(unixMs), zone);
}
