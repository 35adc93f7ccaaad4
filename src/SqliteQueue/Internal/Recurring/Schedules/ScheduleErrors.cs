using System.Globalization;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>Every message the schedule parser throws with, in one place, so tests can assert the exact text.</summary>
internal static class ScheduleErrors
{
    public const string CronHelp =
        "Use 5 fields (minute hour day month weekday), 6 with seconds first, a macro such as @daily, or \"every <n> seconds|minutes|hours|days|weeks\".";

    public const string IntervalHelp =
        "Use \"every <n> seconds|minutes|hours|days|weeks\", with \" at HH:mm\" for days and weeks and \" on <weekday>\" for weeks, " +
        "e.g. \"every 30 minutes\", \"every 2 days at 09:30\" or \"every 1 week on friday at 17:00\".";

    public const string ZoneHelp =
        "Use an IANA id such as \"America/New_York\" or a Windows id such as \"Eastern Standard Time\"; the default is \"UTC\".";

    public static string EmptySchedule =>
        "The schedule is empty. Use a cron expression such as \"0 9 * * *\", a macro such as @daily, or \"every <n> seconds|minutes|hours|days|weeks\".";

    public static string InvalidCron(string schedule, string detail) =>
        $"The schedule '{schedule}' is not a valid cron expression: {detail}. {CronHelp}";

    public static string FieldCount(int count) =>
        $"it has {count.ToString(CultureInfo.InvariantCulture)} {(count == 1 ? "field" : "fields")}";

    public static string NeedsJitterSeed(string schedule) =>
        $"The schedule '{schedule}' uses H, which takes a stable spread-out value from the recurring job's name, so it is accepted only " +
        "as the schedule of a named recurring job. To parse or preview it alone, write fixed values in place of H (e.g. '7 * * * *' for 'H * * * *').";

    public static string InvalidInterval(string schedule, string detail) =>
        $"The schedule '{schedule}' is not a valid interval: {detail}. {IntervalHelp}";

    public static string MissingCountAndUnit => "\"every\" must be followed by a whole number and a unit";

    public static string MissingUnit(string count) => $"'{count}' must be followed by a unit";

    public static string NotWholeNumber(string token) => $"'{token}' is not a whole number";

    public static string CountBelowOne(string token) => $"the count must be at least 1, got '{token}'";

    public static string TooLong(string count, string unit, int maxDays) =>
        $"'{count} {unit}' is longer than the limit of {maxDays.ToString(CultureInfo.InvariantCulture)} days";

    public static string UnknownUnit(string token) => $"'{token}' is not a unit";

    public static string AtNeedsCalendarUnit(string time) => $"\"at {time}\" applies only to days and weeks";

    public static string OnNeedsWeeks(string day) => $"\"on {day}\" applies only to weeks";

    public static string MissingValue(string keyword) => $"\"{keyword}\" must be followed by a value";

    public static string NotATime(string token) => $"'{token}' is not a time of day (HH:mm or HH:mm:ss, 24-hour)";

    public static string NotAWeekday(string token) => $"'{token}' is not a day of the week (monday to sunday, or mon to sun)";

    public static string Unexpected(string token) => $"'{token}' was not expected here";

    public static string EmptyTimeZone => $"The time zone is empty. {ZoneHelp}";

    public static string UnknownTimeZone(string id) => $"The time zone '{id}' is not known on this machine. {ZoneHelp}";

    public static string InvalidTimeZone(string id, string detail) => $"The time zone '{id}' could not be loaded: {detail} {ZoneHelp}";

    public static string PreviewCount(int count) =>
        $"count must be from 1 to {RecurringScheduleLimits.MaxPreview.ToString(CultureInfo.InvariantCulture)}; got {count.ToString(CultureInfo.InvariantCulture)}.";
}
