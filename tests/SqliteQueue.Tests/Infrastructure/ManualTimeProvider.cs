namespace SqliteQueue.Tests.Infrastructure;

/// <summary>A clock that moves only when told to, firing due timers as it passes them.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;
    private int _timersCreated;

    public ManualTimeProvider(DateTimeOffset? start = null) => _now = start ?? new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Whether a timer is waiting to fire at exactly <paramref name="at"/>: lets a test wait until a loop is parked before moving time.</summary>
    public bool HasTimerDueAt(DateTimeOffset at)
    {
        lock (_lock)
        {
            return _timers.Any(t => t.DueAt == at);
        }
    }

    /// <summary>How many timers are waiting to fire at exactly <paramref name="at"/>: lets a test wait until several loops are all parked.</summary>
    public int TimersDueAt(DateTimeOffset at)
    {
        lock (_lock)
        {
            return _timers.Count(t => t.DueAt == at);
        }
    }

    /// <summary>Whether a timer is waiting to fire at or before <paramref name="at"/>: lets a test wait until a loop is parked on a wait that ends by then.</summary>
    public bool HasTimerDueBy(DateTimeOffset at)
    {
        lock (_lock)
        {
            return _timers.Any(t => t.DueAt <= at);
        }
    }

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        List<ManualTimer> due;
        lock (_lock)
        {
            _now += by;
            due = _timers.Where(t => t.DueAt <= _now).ToList();
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    /// <summary>How many timers were created so far: a loop that waits again on a clock that does not move creates a new one.</summary>
    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timersCreated);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public DateTimeOffset DueAt { get; private set; } = DateTimeOffset.MaxValue;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
            {
                _period = period;
                owner._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    DueAt = DateTimeOffset.MaxValue;
                    return true;
                }

                DueAt = owner._now + dueTime;
                owner._timers.Add(this);
            }

            if (dueTime == TimeSpan.Zero)
            {
                Fire();
            }

            return true;
        }

        public void Fire()
        {
            lock (owner._lock)
            {
                owner._timers.Remove(this);
                if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
                {
                    DueAt = owner._now + _period;
                    owner._timers.Add(this);
                }
                else
                {
                    DueAt = DateTimeOffset.MaxValue;
                }
            }

            callback(state);
        }

        public void Dispose()
        {
            lock (owner._lock)
            {
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
