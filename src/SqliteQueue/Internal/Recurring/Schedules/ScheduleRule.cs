namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>One way of producing occurrences: a cron expression, an elapsed interval or a calendar interval.</summary>
internal abstract class ScheduleRule
{
    /// <summary>The earliest Unix millisecond the rules accept and return: <see cref="DateTimeOffset.MinValue"/>.</summary>
    public const long MinUnixMs = -62_135_596_800_000;

    /// <summary>The latest Unix millisecond the rules accept and return: <see cref="DateTimeOffset.MaxValue"/>, floored to the millisecond.</summary>
    public const long MaxUnixMs = 253_402_300_799_999;

    /// <summary>
    /// The first occurrence strictly after <paramref name="afterUnixMs"/> (within <see cref="MinUnixMs"/>..<see cref="MaxUnixMs"/>),
    /// or null when there is none before <see cref="MaxUnixMs"/>.
    /// </summary>
    public abstract long? NextAfterMs(long afterUnixMs);

    /// <summary>English text without the time zone, e.g. "At 09:00, every day".</summary>
    public abstract string Describe();

    /// <summary>A likely mistake in the schedule text, or null.</summary>
    public virtual string? Warning => null;

    /// <summary>Floor modulo, so instants before 1970 land in the same grid as those after.</summary>
    public static long Mod(long value, long divisor)
    {
        var r = value % divisor;
        return r < 0 ? r + divisor : r;
    }
}
