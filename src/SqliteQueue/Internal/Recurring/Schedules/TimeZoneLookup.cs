namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>Finds a zone by IANA or Windows id (ICU maps between them on Linux and macOS).</summary>
internal static class TimeZoneLookup
{
    // Ids whose schedules read the same with and without a zone, so Describe() need not name them.
    private static readonly HashSet<string> UtcIds = new(StringComparer.OrdinalIgnoreCase)
    {
        "UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu", "Coordinated Universal Time",
    };

    public static TimeZoneInfo Find(string timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        if (string.IsNullOrWhiteSpace(timeZone))
        {
            throw new ArgumentException(ScheduleErrors.EmptyTimeZone, nameof(timeZone));
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (TimeZoneNotFoundException ex)
        {
            throw new ArgumentException(ScheduleErrors.UnknownTimeZone(timeZone), nameof(timeZone), ex);
        }
        catch (InvalidTimeZoneException ex)
        {
            throw new ArgumentException(ScheduleErrors.InvalidTimeZone(timeZone, ex.Message), nameof(timeZone), ex);
        }
    }

    public static bool IsUtc(string timeZoneId) => UtcIds.Contains(timeZoneId);

    /// <summary>True when the zone's offset never changes, so conversions can skip the zone's rules.</summary>
    public static bool IsFixedUtc(TimeZoneInfo zone) => zone.BaseUtcOffset == TimeSpan.Zero && zone.GetAdjustmentRules().Length == 0;
}
