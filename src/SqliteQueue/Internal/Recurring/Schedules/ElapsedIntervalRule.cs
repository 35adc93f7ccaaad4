using System.Globalization;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>
/// "every n seconds|minutes|hours": the instants whose Unix time is a multiple of the period. Aligning to the epoch
/// in UTC gives every process the same instants with no stored anchor, and keeps gaps exact across DST changes.
/// </summary>
internal sealed class ElapsedIntervalRule : ScheduleRule
{
    private readonly long _periodMs;
    private readonly long _count;
    private readonly string _unit;

    public ElapsedIntervalRule(long count, string unit, long unitMs)
    {
        _count = count;
        _unit = unit;
        _periodMs = count * unitMs;
    }

    public override long? NextAfterMs(long afterUnixMs)
    {
        var next = afterUnixMs - Mod(afterUnixMs, _periodMs) + _periodMs;
        return next > MaxUnixMs ? null : next;
    }

    public override string Describe() => _count == 1
        ? $"Every {_unit}"
        : $"Every {_count.ToString(CultureInfo.InvariantCulture)} {_unit}s";
}
