using System.Globalization;
using SqliteQueue.Internal;
using SqliteQueue.Retry;
using SqliteQueue.Scheduling;

namespace SqliteQueue.Tests.Validation;

public sealed class StrategyAndBackoffValidationTests
{
    [Theory]
    [InlineData(-1L)]
    [InlineData(864_000_000_001L)]
    public void ExponentialBackoff_rejects_base_delay_outside_zero_to_1_day(long ticks)
    {
        var baseDelay = TimeSpan.FromTicks(ticks);
        Rejection.ShouldReject<ArgumentOutOfRangeException>(() => _ = new ExponentialBackoff(baseDelay, TimeSpan.FromDays(30)), "baseDelay", baseDelay.ToString());
    }

    [Fact]
    public void ExponentialBackoff_rejects_max_delay_below_base_delay()
    {
        Rejection.ShouldReject<ArgumentOutOfRangeException>(
            () => _ = new ExponentialBackoff(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5)), "maxDelay", "00:00:05", "00:00:10");
    }

    [Fact]
    public void ExponentialBackoff_rejects_default_max_delay_below_a_larger_base_delay()
    {
        Rejection.ShouldReject<ArgumentOutOfRangeException>(
            () => _ = new ExponentialBackoff(TimeSpan.FromHours(2)), "maxDelay", "01:00:00", "02:00:00");
    }

    [Fact]
    public void ExponentialBackoff_rejects_max_delay_beyond_30_days()
    {
        var max = TimeSpan.FromDays(30) + TimeSpan.FromTicks(1);
        Rejection.ShouldReject<ArgumentOutOfRangeException>(() => _ = new ExponentialBackoff(maxDelay: max), "maxDelay", max.ToString());
    }

    [Fact]
    public void ExponentialBackoff_accepts_limits()
    {
        new ExponentialBackoff(TimeSpan.Zero, TimeSpan.Zero).NextDelay(5).Should().Be(TimeSpan.Zero);
        var widest = new ExponentialBackoff(TimeSpan.FromDays(1), TimeSpan.FromDays(30), new Random(1));
        widest.NextDelay(1000).Should().BeLessThanOrEqualTo(TimeSpan.FromDays(30));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void ExponentialBackoff_NextDelay_rejects_attempt_below_one(int bad)
    {
        Rejection.ShouldReject<ArgumentOutOfRangeException>(
            () => new ExponentialBackoff().NextDelay(bad), "attempt", bad.ToString(CultureInfo.CurrentCulture));
    }

    [Fact]
    public void WeightedRandomStrategy_rejects_null_weights() =>
        Rejection.ShouldReject<ArgumentNullException>(() => _ = new WeightedRandomStrategy((IReadOnlyDictionary<int, double>)null!), "weights");

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void WeightedRandomStrategy_rejects_weight_that_is_not_finite_and_positive(double weight)
    {
        var weights = new Dictionary<int, double> { [0] = 1, [3] = weight };
        Rejection.ShouldReject<ArgumentOutOfRangeException>(
            () => _ = new WeightedRandomStrategy(weights), "weights[3]", "finite and greater than zero", weight.ToString(CultureInfo.CurrentCulture));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void WeightedRandomStrategy_rejects_bad_default_weight(double weight)
    {
        Rejection.ShouldReject<ArgumentOutOfRangeException>(
            () => _ = new WeightedRandomStrategy(new Dictionary<int, double>(), weight), "defaultWeight", weight.ToString(CultureInfo.CurrentCulture));
    }

    [Fact]
    public void WeightedRandomStrategy_rejects_bad_weight_from_a_function_when_planning()
    {
        var strategy = new WeightedRandomStrategy(p => p == 7 ? double.NaN : 1.0, new Random(1));
        FluentActions.Invoking(() => strategy.Plan(new ClaimRequest("q", 3, [0, 7])))
            .Should().Throw<InvalidOperationException>().WithMessage(Errors.InvalidWeight("weighted-random", 7, double.NaN));
    }

    [Fact]
    public void WeightedRandomStrategy_accepts_tiny_and_huge_weights()
    {
        var strategy = new WeightedRandomStrategy(new Dictionary<int, double> { [0] = double.Epsilon, [1] = double.MaxValue / 4 }, 1.0, new Random(1));
        var plan = strategy.Plan(new ClaimRequest("q", 10, [0, 1, 2]));
        plan.Steps.Sum(s => s.Count).Should().Be(10);
    }

    [Fact]
    public void ClaimPlan_rejects_null_steps() =>
        Rejection.ShouldReject<ArgumentNullException>(() => _ = new ClaimPlan(null!), "steps");

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void ClaimPlan_rejects_step_taking_fewer_than_one_job(int count)
    {
        Rejection.ShouldReject<ArgumentOutOfRangeException>(
            () => _ = new ClaimPlan([new ClaimStep(ClaimOrder.Fifo, 1), new ClaimStep(ClaimOrder.Lifo, count)]),
            "steps", "at least one job", count.ToString(CultureInfo.CurrentCulture));
    }

    [Fact]
    public void ClaimPlan_rejects_unknown_order()
    {
        Rejection.ShouldReject<ArgumentOutOfRangeException>(
            () => _ = new ClaimPlan([new ClaimStep((ClaimOrder)9, 1)]), "steps", "Unknown claim order", "9");
    }

    [Fact]
    public void ClaimPlan_Of_fewer_than_one_job_is_empty()
    {
        ClaimPlan.Of(ClaimOrder.Fifo, 0).Steps.Should().BeEmpty();
        ClaimPlan.Of(ClaimOrder.Priority, -1).Should().BeSameAs(ClaimPlan.Empty);
    }
}
