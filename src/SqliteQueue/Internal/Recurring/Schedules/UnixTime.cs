namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>Conversions between Unix milliseconds and <see cref="DateTime"/> ticks without going through <see cref="DateTimeOffset"/> on hot paths.</summary>
internal static class UnixTime
{
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;

    public static DateTime ToUtcDateTime(long unixMs) =>
        new(EpochTicks + (unixMs * TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);

    // Every instant the rules produce is a whole second or millisecond, so flooring loses nothing.
    public static long FromTicks(long ticks) => Math.DivRem(ticks - EpochTicks, TimeSpan.TicksPerMillisecond, out var rem) - (rem < 0 ? 1 : 0);

    public static long FromDateTime(DateTime value) => FromTicks(value.Ticks);
}
