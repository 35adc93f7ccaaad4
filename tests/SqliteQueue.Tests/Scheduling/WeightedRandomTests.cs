using System.Globalization;
using SqliteQueue.Internal;
using SqliteQueue.Scheduling;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Scheduling;

public sealed class WeightedRandomTests
{
    [Fact]
    public async Task Each_priority_class_gets_a_share_of_10000_claims_proportional_to_its_weight()
    {
        var weights = new Dictionary<int, double> { [0] = 50, [1] = 30, [2] = 18, [9] = 2 };
        await using var db = new TestDatabase();
        foreach (var priority in weights.Keys)
        {
            await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 10_000), new EnqueueOptions { Priority = priority });
        }

        var worker = db.Worker(new WeightedRandomStrategy(weights, random: new Random(12345)), lease: TimeSpan.FromHours(1));
        var counts = weights.Keys.ToDictionary(p => p, _ => 0);
        for (var i = 0; i < 10_000; i++)
        {
            var job = (await worker.ClaimAsync()).Single();
            counts[job.Priority]++;
        }

        // Tolerance: 1.5 percentage points, over 4 standard deviations of a binomial share at n = 10,000.
        var total = weights.Values.Sum();
        foreach (var (priority, weight) in weights)
        {
            ((double)counts[priority] / 10_000).Should().BeApproximately(weight / total, 0.015, $"priority {priority} has weight {weight}");
        }

        counts[9].Should().BePositive("a class with a small weight is still served");
    }

    [Fact]
    public async Task Batched_claims_keep_the_shares()
    {
        var weights = new Dictionary<int, double> { [0] = 3, [1] = 1 };
        await using var db = new TestDatabase();
        foreach (var priority in weights.Keys)
        {
            await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 5_000), new EnqueueOptions { Priority = priority });
        }

        var worker = db.Worker(new WeightedRandomStrategy(weights, random: new Random(7)), lease: TimeSpan.FromHours(1));
        var high = 0;
        var total = 0;
        while (total < 4_000)
        {
            var jobs = await worker.ClaimAsync(16);
            total += jobs.Count;
            high += jobs.Count(j => j.Priority == 0);
        }

        ((double)high / total).Should().BeApproximately(0.75, 0.03);
    }

    [Fact]
    public async Task A_class_that_runs_dry_no_longer_takes_a_share()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 3), new EnqueueOptions { Priority = 0 });
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 100), new EnqueueOptions { Priority = 1 });
        var worker = db.Worker(new WeightedRandomStrategy(new Dictionary<int, double> { [0] = 1000, [1] = 1 }, random: new Random(3)));

        var claimed = 0;
        while ((await worker.ClaimAsync()).Count == 1)
        {
            claimed++;
        }

        claimed.Should().Be(103, "every job is reached once the favoured class is empty");
    }

    [Fact]
    public void Plan_draws_only_from_runnable_classes_and_asks_for_no_more_than_wanted()
    {
        var strategy = new WeightedRandomStrategy(random: new Random(1));

        var plan = strategy.Plan(new ClaimRequest("q", 10, [2, 5]));

        plan.Steps.Should().OnlyContain(s => s.PriorityClass == 2 || s.PriorityClass == 5);
        plan.Steps.Sum(s => s.Count).Should().Be(10);
        strategy.Plan(new ClaimRequest("q", 10, [])).Steps.Should().BeEmpty();
    }

    public static TheoryData<double> BadWeights => new() { 0.0, -0.0, -1.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity };

    [Theory]
    [MemberData(nameof(BadWeights))]
    public void Plan_checks_the_weight_of_a_single_runnable_class(double weight)
    {
        var strategy = new WeightedRandomStrategy(p => p == 3 ? weight : 1.0, new Random(1));

        var exception = FluentActions.Invoking(() => strategy.Plan(new ClaimRequest("q", 5, [3])))
            .Should().Throw<InvalidOperationException>().Which;

        exception.Message.Should().Be(Errors.InvalidWeight("weighted-random", 3, weight));
        exception.Message.Should().Contain("'weighted-random'").And.Contain("priority 3")
            .And.Contain($"weight {weight.ToString("R", CultureInfo.InvariantCulture)} ");
    }

    [Theory]
    [MemberData(nameof(BadWeights))]
    public void Plan_checks_the_weight_of_every_listed_class_even_one_that_is_not_drawn(double weight)
    {
        // Priority 9's weight would make it drawn almost never; it is still checked on every plan.
        var strategy = new WeightedRandomStrategy(p => p == 9 ? weight : 1e300, new Random(1));

        FluentActions.Invoking(() => strategy.Plan(new ClaimRequest("q", 1, [0, 1, 9])))
            .Should().Throw<InvalidOperationException>().WithMessage(Errors.InvalidWeight("weighted-random", 9, weight));
    }

    [Fact]
    public async Task A_claim_with_a_bad_weight_fails_also_when_one_class_is_runnable_and_claims_nothing()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { Priority = 2 });
        var worker = db.Worker(new WeightedRandomStrategy(p => p == 2 ? 0.0 : 1.0));

        (await worker.Invoking(w => w.ClaimAsync()).Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Be(Errors.InvalidWeight("weighted-random", 2, 0.0));

        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);
        (await db.Worker().ClaimAsync()).Should().ContainSingle().Which.Id.Should().Be(id);
    }

    [Fact]
    public void Default_weights_favour_lower_priority_numbers()
    {
        var strategy = new WeightedRandomStrategy(random: new Random(99));

        var plan = strategy.Plan(new ClaimRequest("q", 30_000, [0, 1]));

        var zero = plan.Steps.Single(s => s.PriorityClass == 0).Count / 30_000.0;
        zero.Should().BeApproximately(2.0 / 3, 0.02, "priority 0 weighs 1 and priority 1 weighs 1/2");
    }
}
