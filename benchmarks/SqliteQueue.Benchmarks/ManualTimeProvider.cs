namespace SqliteQueue.Benchmarks;

/// <summary>
/// A clock that moves only when told to, for the scheduler's tick benchmarks: every schedule is due exactly when the
/// benchmark says. Timers are the base class's (real time); nothing measured here waits on one.
/// </summary>
/// <param name="start">The time it starts at.</param>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}
