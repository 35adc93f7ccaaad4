using SqliteQueue.Internal.Recurring.Schedules;

namespace SqliteQueue.Recurring;

/// <summary>
/// A parsed schedule: a cron expression or an interval, read in one time zone. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// <b>Cron</b> (evaluated by Cronos): 5 fields (minute hour day-of-month month day-of-week), 6 with seconds first, or a
/// macro (<c>@yearly @annually @monthly @weekly @daily @midnight @hourly @every_minute @every_second</c>). A date must
/// match both day fields when both are restricted (<c>0 0 13 * 5</c> is Friday the 13th only), unlike classic cron.
/// <c>H</c> picks a stable value derived from the recurring job's name, so it is accepted only in a named recurring
/// job's schedule; macros keep their plain meaning (<c>@daily</c> is midnight) even there.
/// </para>
/// <para>
/// <b>Daylight saving time</b>, for cron and for day and week intervals: a wall-clock time that a spring-forward change
/// skips runs at the first valid instant after the gap; in a fall-back change, cron expressions with <c>*</c>, a range
/// or a step in the second, minute or hour field run in both copies of the repeated hour, and all others (and day and
/// week intervals) run only in the first copy.
/// </para>
/// <para>
/// <b>Intervals</b>: <c>every &lt;n&gt; seconds|minutes|hours|days|weeks</c> (singular or plural, any case), n a
/// whole number from 1, at most 10 years in all; <c>at HH:mm</c> or <c>at HH:mm:ss</c> for days and weeks (default
/// 00:00); <c>on &lt;weekday&gt;</c> for weeks (<c>monday</c>..<c>sunday</c> or <c>mon</c>..<c>sun</c>, default Monday).
/// Seconds, minutes and hours are exact elapsed durations aligned to the Unix epoch: the occurrences are the instants
/// whose Unix time is a multiple of the interval, whatever the zone, so <c>every 1 hour</c> is always 3600 s apart.
/// Days and weeks keep the wall-clock time in the zone: <c>every n days</c> runs on the local dates whose day number
/// since 1970-01-01 is a multiple of n; <c>every n weeks</c> on the chosen weekday of the weeks, counted from the
/// week of Monday 1970-01-05, whose number is a multiple of n. No process needs a stored start to agree on them.
/// </para>
/// </remarks>
public sealed class RecurringSchedule
{
    private readonly ScheduleRule _rule;
    private readonly Lazy<string?> _warning;

    private RecurringSchedule(string expression, string timeZoneId, TimeZoneInfo timeZone, ScheduleRule rule, bool isInterval)
    {
        Expression = expression;
        TimeZoneId = timeZoneId;
        TimeZone = timeZone;
        IsInterval = isInterval;
        _rule = rule;
        _warning = new Lazy<string?>(() => rule.Warning);
    }

    /// <summary>The schedule text as given, without leading and trailing white space.</summary>
    public string Expression { get; }

    /// <summary>The time zone id as given.</summary>
    public string TimeZoneId { get; }

    /// <summary>The time zone the schedule is read in.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>True for the <c>every &lt;n&gt; &lt;unit&gt;</c> forms, false for cron.</summary>
    public bool IsInterval { get; }

    /// <summary>
    /// A sentence about a likely mistake, naming the expression, or null: for example <c>* 3 * * *</c> runs every minute
    /// from 03:00 to 03:59 where <c>0 3 * * *</c> was probably meant.
    /// </summary>
    public string? Warning => _warning.Value;

    /// <summary>Parses a cron expression or an interval, read in <paramref name="timeZone"/>.</summary>
    /// <param name="schedule">The schedule text; see the remarks on <see cref="RecurringSchedule"/>. Leading and trailing white space is ignored.</param>
    /// <param name="timeZone">An IANA id (<c>Europe/Berlin</c>) or a Windows id (<c>W. Europe Standard Time</c>).</param>
    /// <returns>The parsed schedule.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">
    /// The schedule (parameter <c>schedule</c>) or the zone (parameter <c>timeZone</c>) is not valid; the message quotes the
    /// value and says what is accepted. A cron expression that uses <c>H</c> is refused here, as it needs a recurring job's name.
    /// </exception>
    public static RecurringSchedule Parse(string schedule, string timeZone = "UTC") => Parse(schedule, timeZone, jitterSeed: null);

    /// <summary>
    /// Parses with the seed for <c>H</c> fields taken from <paramref name="jitterSeed"/> (the recurring job's name, hashed
    /// the same way in every process). With a null seed an <c>H</c> field is refused.
    /// </summary>
    internal static RecurringSchedule Parse(string schedule, string timeZone, string? jitterSeed)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(timeZone);
        var text = schedule.Trim();
        if (text.Length == 0)
        {
            throw new ArgumentException(ScheduleErrors.EmptySchedule, nameof(schedule));
        }

        // Both parsers build rules bound to the zone, so it is resolved first.
        var zone = TimeZoneLookup.Find(timeZone);
        var isInterval = IntervalParser.LooksLikeInterval(text);
        var rule = isInterval ? IntervalParser.Parse(text, zone) : CronRule.Parse(text, zone, jitterSeed);
        return new RecurringSchedule(text, timeZone, zone, rule, isInterval);
    }

    /// <summary>
    /// The first occurrence strictly after <paramref name="after"/>, with the zone's offset at that instant; null when
    /// there is none (for example <c>0 0 30 2 *</c>) or it would fall after <see cref="DateTimeOffset.MaxValue"/>.
    /// </summary>
    /// <param name="after">Any instant; only its UTC value matters.</param>
    /// <returns>The next occurrence, or null.</returns>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset after)
    {
        // Every occurrence is a whole millisecond, so the first one after the floored instant is also after the exact one.
        var next = _rule.NextAfterMs(after.ToUnixTimeMilliseconds());
        return next is { } ms ? InZone(ms) : null;
    }

    /// <summary>The next <paramref name="count"/> occurrences strictly after <paramref name="from"/>, in the zone's offset; fewer when the schedule ends.</summary>
    /// <param name="from">Any instant; only its UTC value matters.</param>
    /// <param name="count">How many, from 1 to 1000.</param>
    /// <returns>The occurrences, in increasing order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or above 1000.</exception>
    public IReadOnlyList<DateTimeOffset> Preview(DateTimeOffset from, int count)
    {
        if (count is < 1 or > RecurringScheduleLimits.MaxPreview)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, ScheduleErrors.PreviewCount(count));
        }

        var result = new List<DateTimeOffset>(count);
        var after = from.ToUnixTimeMilliseconds();
        while (result.Count < count && _rule.NextAfterMs(after) is { } next)
        {
            result.Add(InZone(next));
            after = next;
        }

        return result;
    }

    /// <summary>
    /// Plain English, e.g. "At 09:00, every day (America/New_York)", "Every 30 minutes" or "Every 2 days at 09:30 (Europe/Berlin)";
    /// cron forms without a plain reading come back as "Cron '…'". The zone is named unless it is UTC.
    /// </summary>
    /// <returns>The description.</returns>
    public string Describe()
    {
        var text = _rule.Describe();
        return TimeZoneLookup.IsUtc(TimeZoneId) ? text : $"{text} ({TimeZoneId})";
    }

    /// <summary>The expression and the zone id, e.g. <c>0 9 * * * (Europe/Berlin)</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Expression} ({TimeZoneId})";

    /// <summary>
    /// <see cref="GetNextOccurrence"/> in Unix milliseconds, for the scheduler's loops: the first occurrence strictly after
    /// <paramref name="afterUnixMs"/>, or null. Exact for any instant, including inside a repeated or skipped hour.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The instant is outside <see cref="DateTimeOffset"/>'s range.</exception>
    internal long? NextAfterMs(long afterUnixMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(afterUnixMs, ScheduleRule.MinUnixMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(afterUnixMs, ScheduleRule.MaxUnixMs);
        return _rule.NextAfterMs(afterUnixMs);
    }

    private DateTimeOffset InZone(long unixMs)
    {
        var utc = DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
        return utc.ToOffset(TimeZone.GetUtcOffset(utc));
    }
}
