using SqliteQueue.Retry;

namespace SqliteQueue.Tests.Retry;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 1.0, 1_000)]
    [InlineData(2, 1.0, 2_000)]
    [InlineData(5, 1.0, 16_000)]
    [InlineData(5, 0.5, 8_000)]
    [InlineData(5, 0.0, 0)]
    [InlineData(30, 1.0, 60_000)]
    [InlineData(1000, 1.0, 60_000)]
    public void Exponential_with_full_jitter_is_uniform_below_a_doubling_capped_ceiling(int attempt, double random01, double expectedMs)
    {
        ExponentialBackoff.Compute(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), random01)
            .Should().Be(TimeSpan.FromMilliseconds(expectedMs));
    }

    [Fact]
    public void Delays_stay_within_the_ceiling_and_spread_out()
    {
        var policy = new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), new Random(5));

        var delays = Enumerable.Range(0, 1000).Select(_ => policy.NextDelay(4)).ToList();

        delays.Should().OnlyContain(d => d >= TimeSpan.Zero && d <= TimeSpan.FromSeconds(8));
        delays.Distinct().Count().Should().BeGreaterThan(900);
        delays.Average(d => d.TotalMilliseconds).Should().BeApproximately(4000, 300);
    }

    [Fact]
    public void The_same_seed_gives_the_same_delays()
    {
        var a = new ExponentialBackoff(random: new Random(42));
        var b = new ExponentialBackoff(random: new Random(42));

        Enumerable.Range(1, 10).Select(a.NextDelay).Should().Equal(Enumerable.Range(1, 10).Select(b.NextDelay));
    }
}
