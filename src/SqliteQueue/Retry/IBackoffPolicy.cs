namespace SqliteQueue.Retry;

/// <summary>Spaces the retries of a failed job.</summary>
public interface IBackoffPolicy
{
    /// <summary>How long to wait before the next attempt.</summary>
    /// <param name="attempt">The attempt that just failed, from 1.</param>
    /// <returns>A delay of zero or more.</returns>
    TimeSpan NextDelay(int attempt);
}

/// <summary>
/// Exponential backoff with full jitter: the delay after attempt <c>n</c> is drawn uniformly from
/// <c>[0, min(cap, base * 2^(n-1))]</c>, which spreads retries of jobs that failed together.
/// </summary>
public sealed class ExponentialBackoff : IBackoffPolicy
{
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    /// <summary>Creates the policy.</summary>
    /// <param name="baseDelay">The ceiling of the first delay. The default is 1 second; zero to 1 day.</param>
    /// <param name="maxDelay">The cap of every delay. The default is 1 hour; at least <paramref name="baseDelay"/>, at most 30 days.</param>
    /// <param name="random">The random source; pass a seeded one for repeatable delays.</param>
    public ExponentialBackoff(TimeSpan? baseDelay = null, TimeSpan? maxDelay = null, Random? random = null)
    {
        BaseDelay = baseDelay ?? TimeSpan.FromSeconds(1);
        MaxDelay = maxDelay ?? TimeSpan.FromHours(1);
        if (BaseDelay < TimeSpan.Zero || BaseDelay > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(baseDelay), BaseDelay, "The base delay must be from zero to 1 day.");
        }

        if (MaxDelay < BaseDelay || MaxDelay > TimeSpan.FromDays(30))
        {
            throw new ArgumentOutOfRangeException(nameof(maxDelay), MaxDelay, $"The maximum delay must be from the base delay ({BaseDelay}) to 30 days.");
        }

        _random = random ?? new Random();
    }

    /// <summary>The ceiling of the first delay.</summary>
    public TimeSpan BaseDelay { get; }

    /// <summary>The cap of every delay.</summary>
    public TimeSpan MaxDelay { get; }

    /// <inheritdoc />
    public TimeSpan NextDelay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        double random01;
        lock (_randomLock)
        {
            random01 = _random.NextDouble();
        }

        return Compute(attempt, BaseDelay, MaxDelay, random01);
    }

    /// <summary>The pure formula, with the randomness passed in.</summary>
    internal static TimeSpan Compute(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, double random01)
    {
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 40)));
        return TimeSpan.FromMilliseconds(Math.Floor(ceiling * random01));
    }
}
