using Cronos;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>A cron expression evaluated by Cronos, whose DST rules are the product's (see <see cref="WallClock"/>).</summary>
internal sealed class CronRule : ScheduleRule
{
    private static readonly string CronosBaseMessage = new CronFormatException().Message;

    private readonly CronExpression _cron;
    private readonly TimeZoneInfo _zone;
    private readonly bool _utc;
    private readonly CronFields _fields;

    private CronRule(CronExpression cron, TimeZoneInfo zone, CronFields fields)
    {
        _cron = cron;
        _zone = zone;
        _utc = TimeZoneLookup.IsFixedUtc(zone);
        _fields = fields;
    }

    /// <summary>
    /// Parses trimmed cron text. A seed is given to Cronos only when the text uses H: with a seed Cronos also
    /// jitters the macros (@daily becomes "H H H * * *"), and @daily must keep meaning midnight.
    /// </summary>
    public static CronRule Parse(string schedule, TimeZoneInfo zone, string? jitterSeed)
    {
        var isMacro = schedule.StartsWith('@');
        var fieldCount = isMacro ? 0 : schedule.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Length;
        if (!isMacro && fieldCount is not (5 or 6))
        {
            throw new ArgumentException(ScheduleErrors.InvalidCron(schedule, ScheduleErrors.FieldCount(fieldCount)), nameof(schedule));
        }

        var format = fieldCount == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        CronExpression cron;
        try
        {
            try
            {
                cron = CronExpression.Parse(schedule, format);
            }
            catch (MissingSeedException) when (jitterSeed is not null)
            {
                cron = CronExpression.Parse(schedule, format, JitterSeed.FromName(jitterSeed));
            }
        }
        catch (MissingSeedException ex)
        {
            throw new ArgumentException(ScheduleErrors.NeedsJitterSeed(schedule), nameof(schedule), ex);
        }
        catch (CronFormatException ex)
        {
            throw new ArgumentException(ScheduleErrors.InvalidCron(schedule, Detail(ex.Message)), nameof(schedule), ex);
        }

        return new CronRule(cron, zone, CronFields.Parse(schedule));
    }

    public override long? NextAfterMs(long afterUnixMs)
    {
        var from = UnixTime.ToUtcDateTime(afterUnixMs);
        DateTime? next;
        try
        {
            next = _utc ? _cron.GetNextOccurrence(from) : _cron.GetNextOccurrence(from, _zone);
        }
        catch (ArgumentOutOfRangeException)
        {
            // Cronos converts to local time first; within a day of year 10000 that leaves DateTime's range.
            return null;
        }

        return next is { } value ? UnixTime.FromDateTime(value) : null;
    }

    public override string Describe() => CronDescriber.Describe(_fields);

    public override string? Warning =>
        // Cron has no year field, so a pattern that matches any date matches one after 1970.
        NextAfterMs(0) is null
            ? CronWarnings.NeverRuns(_fields.Text)
            : CronWarnings.Find(_fields);

    // Cronos prefixes every message with its generic sentence; the rest names the field and the rule broken.
    private static string Detail(string message)
    {
        var detail = message.StartsWith(CronosBaseMessage, StringComparison.Ordinal)
            ? message[CronosBaseMessage.Length..].Trim()
            : message.Trim();
        detail = detail.TrimEnd('.');
        return detail.Length == 0 ? "it has an invalid format" : detail;
    }
}
