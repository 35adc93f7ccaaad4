using System.Globalization;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>
/// "every n days|weeks [on weekday] [at HH:mm]": a wall-clock time on the local dates whose day number since
/// 1970-01-01, less a phase, is a multiple of the period. Days have phase 0; weeks count from Monday 1970-01-05 and
/// add the weekday, so every process computes the same dates with no stored anchor.
/// </summary>
internal sealed class CalendarIntervalRule : ScheduleRule
{
    private const long EpochDay = 719_162; // DateTime.UnixEpoch.Ticks / TimeSpan.TicksPerDay
    private const long FirstMonday = 4;    // 1970-01-05, in days since 1970-01-01
    private static readonly long MinDay = -EpochDay;
    private static readonly long MaxDay = (DateTime.MaxValue.Ticks / TimeSpan.TicksPerDay) - EpochDay;

    private readonly TimeZoneInfo _zone;
    private readonly long _periodDays;
    private readonly long _phaseDays;
    private readonly TimeSpan _timeOfDay;
    private readonly long _count;
    private readonly DayOfWeek? _weekday;

    private CalendarIntervalRule(TimeZoneInfo zone, long count, DayOfWeek? weekday, TimeSpan timeOfDay)
    {
        _zone = zone;
        _count = count;
        _weekday = weekday;
        _timeOfDay = timeOfDay;
        if (weekday is { } day)
        {
            _periodDays = 7 * count;
            _phaseDays = FirstMonday + (((int)day + 6) % 7);
        }
        else
        {
            _periodDays = count;
            _phaseDays = 0;
        }
    }

    public static CalendarIntervalRule Days(TimeZoneInfo zone, long count, TimeSpan timeOfDay) => new(zone, count, null, timeOfDay);

    public static CalendarIntervalRule Weeks(TimeZoneInfo zone, long count, DayOfWeek weekday, TimeSpan timeOfDay) =>
        new(zone, count, weekday, timeOfDay);

    public override long? NextAfterMs(long afterUnixMs)
    {
        var local = WallClock.ToLocal(_zone, afterUnixMs);

        // A date's occurrence can follow the next date's start only when its time sits in a gap that crosses
        // midnight, so starting one day back is enough to see every candidate.
        var first = Math.Max((local.Ticks / TimeSpan.TicksPerDay) - EpochDay - 1, MinDay);
        var day = first + Mod(_phaseDays - first, _periodDays);
        for (; day <= MaxDay; day += _periodDays)
        {
            var wall = new DateTime(((day + EpochDay) * TimeSpan.TicksPerDay) + _timeOfDay.Ticks, DateTimeKind.Unspecified);
            long instant;
            try
            {
                instant = WallClock.Resolve(_zone, wall);
            }
            catch (ArgumentOutOfRangeException)
            {
                // Only the last day of year 9999 in a zone ahead of UTC can leave DateTime's range.
                return null;
            }

            if (instant > afterUnixMs)
            {
                return instant > MaxUnixMs ? null : instant;
            }
        }

        return null;
    }

    public override string Describe()
    {
        var time = FormatTime(_timeOfDay);
        var every = _count == 1 ? "Every" : $"Every {_count.ToString(CultureInfo.InvariantCulture)}";
        return _weekday is { } day
            ? $"{every} {(_count == 1 ? "week" : "weeks")} on {day} at {time}"
            : $"{every} {(_count == 1 ? "day" : "days")} at {time}";
    }

    public static string FormatTime(TimeSpan time) => time.Seconds == 0
        ? time.ToString(@"hh\:mm", CultureInfo.InvariantCulture)
        : time.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
}
