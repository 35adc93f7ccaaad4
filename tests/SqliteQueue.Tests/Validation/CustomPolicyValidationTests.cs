using SqliteQueue.Retry;
using SqliteQueue.Scheduling;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Validation;

public sealed class CustomPolicyValidationTests
{
    private sealed class NullPlanStrategy : ISchedulingStrategy
    {
        public string Name => "null-plan";

        public bool UsesPriorityClasses => false;

        public ClaimPlan Plan(ClaimRequest request) => null!;
    }

    private sealed class GreedyStrategy : ISchedulingStrategy
    {
        public string Name => "greedy";

        public bool UsesPriorityClasses => false;

        public ClaimPlan Plan(ClaimRequest request) => new([new ClaimStep(ClaimOrder.Fifo, 500), new ClaimStep(ClaimOrder.Lifo, 500)]);
    }

    private sealed class FixedBackoff(TimeSpan delay) : IBackoffPolicy
    {
        public TimeSpan NextDelay(int attempt) => delay;
    }

    [Fact]
    public async Task ClaimAsync_with_a_strategy_that_returns_no_plan_claims_nothing()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueJsonAsync("t", "{}");
        var worker = db.Worker(strategy: new NullPlanStrategy());
        await worker.Invoking(w => w.ClaimAsync()).Should().ThrowAsync<Exception>();
        var job = (await db.Client.GetJobAsync(id))!;
        job.State.Should().Be(JobState.Pending);
        job.Attempt.Should().Be(0);
        (await db.Worker().ClaimAsync()).Should().ContainSingle("the failed claim left the store usable");
    }

    [Fact]
    public async Task ClaimAsync_with_a_strategy_that_returns_no_plan_fails_naming_the_strategy()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("t", "{}");
        var worker = db.Worker(strategy: new NullPlanStrategy());
        (await worker.Invoking(w => w.ClaimAsync()).Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Contain("null-plan");
    }

    [Fact]
    public async Task ClaimAsync_never_takes_more_than_asked_whatever_the_strategy_plans()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 10).ToArray());
        var claimed = await db.Worker(strategy: new GreedyStrategy()).ClaimAsync(3);
        claimed.Should().HaveCount(3);
        (await db.Client.GetStatsAsync()).For(QueueNames.Default).Running.Should().Be(3);
    }

    [Fact]
    public async Task FailAsync_with_a_backoff_that_returns_a_negative_delay_fails_clearly_and_leaves_the_job_running()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("t", "{}");
        var worker = db.Queue.Create(new WorkerOptions { BackoffPolicy = new FixedBackoff(TimeSpan.FromSeconds(-1)) });
        var job = (await worker.ClaimAsync()).Single();
        (await worker.Invoking(w => w.FailAsync(job, "boom")).Should().ThrowAsync<InvalidOperationException>())
            .Which.Message.Should().Contain(nameof(FixedBackoff)).And.Contain("-00:00:01").And.Contain("attempt 1");
        (await db.Client.GetJobAsync(job.Id))!.State.Should().Be(JobState.Running);
    }

    [Fact]
    public async Task FailAsync_caps_a_huge_backoff_delay()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("t", "{}");
        var worker = db.Queue.Create(new WorkerOptions { BackoffPolicy = new FixedBackoff(TimeSpan.MaxValue) });
        var job = (await worker.ClaimAsync()).Single();
        var result = await worker.FailAsync(job, "boom");
        result.State.Should().Be(JobState.Pending);
        result.NextRunAt.Should().Be(db.Time.GetUtcNow() + TimeSpan.FromDays(3650));
    }
}
