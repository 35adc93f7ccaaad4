namespace SqliteQueue.Tests.Infrastructure;

/// <summary>A clock that moves forward by <see cref="Tick"/> on every read: two reads never agree, so code that reads it twice where once was meant shows it.</summary>
public sealed class TickingTimeProvider(DateTimeOffset? start = null) : TimeProvider
{
    private long _reads;

    public static TimeSpan Tick => TimeSpan.FromMilliseconds(1);

    public DateTimeOffset Start { get; } = start ?? new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public long Reads => Interlocked.Read(ref _reads);

    public override DateTimeOffset GetUtcNow() => Start + (Tick * Interlocked.Increment(ref _reads));

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
