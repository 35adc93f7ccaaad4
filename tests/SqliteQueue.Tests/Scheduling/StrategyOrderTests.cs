using SqliteQueue.Scheduling;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Scheduling;

public sealed class StrategyOrderTests
{
    /// <summary>Six jobs: payload = enqueue order; priorities shuffled; each enqueued a second apart.</summary>
    private static async Task<long[]> SeedAsync(TestDatabase db)
    {
        int[] priorities = [5, 1, 3, 1, 0, 5];
        var ids = new long[priorities.Length];
        for (var i = 0; i < priorities.Length; i++)
        {
            ids[i] = await db.Client.EnqueueAsync("t", i, new EnqueueOptions { Priority = priorities[i] });
            db.Time.Advance(TimeSpan.FromSeconds(1));
        }

        return ids;
    }

    private static async Task<List<int>> DrainAsync(IWorker worker, int batch)
    {
        var order = new List<int>();
        while (true)
        {
            var jobs = await worker.ClaimAsync(batch);
            if (jobs.Count == 0)
            {
                return order;
            }

            order.AddRange(jobs.Select(j => j.GetPayload<int>()));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Fifo_claims_oldest_first(int batch)
    {
        await using var db = new TestDatabase();
        await SeedAsync(db);

        (await DrainAsync(db.Worker(SchedulingStrategies.Fifo), batch)).Should().Equal(0, 1, 2, 3, 4, 5);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Lifo_claims_newest_first(int batch)
    {
        await using var db = new TestDatabase();
        await SeedAsync(db);

        (await DrainAsync(db.Worker(SchedulingStrategies.Lifo), batch)).Should().Equal(5, 4, 3, 2, 1, 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Priority_claims_lowest_number_first_then_oldest(int batch)
    {
        await using var db = new TestDatabase();
        await SeedAsync(db);

        (await DrainAsync(db.Worker(SchedulingStrategies.Priority), batch)).Should().Equal(4, 1, 3, 2, 0, 5);
    }

    [Fact]
    public async Task Fifo_orders_by_run_time_so_a_scheduled_retry_waits_behind_newer_jobs()
    {
        await using var db = new TestDatabase();
        var worker = db.Queue.Create(new WorkerOptions { BackoffPolicy = new SqliteQueue.Retry.ExponentialBackoff(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), new Random(1)) });
        await db.Client.EnqueueAsync("t", 0);
        await worker.FailAsync((await worker.ClaimAsync()).Single(), "x");
        await db.Client.EnqueueAsync("t", 1);
        db.Time.Advance(TimeSpan.FromSeconds(10));
        await db.Client.EnqueueAsync("t", 2);

        (await DrainAsync(worker, 1)).Should().Equal(1, 0, 2);
    }

    [Fact]
    public async Task Strategies_never_take_delayed_jobs_early()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueAsync("t", 0, new EnqueueOptions { Priority = -5, Delay = TimeSpan.FromMinutes(1) });
        await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { Priority = 5 });

        foreach (var strategy in new[] { SchedulingStrategies.Fifo, SchedulingStrategies.Lifo, SchedulingStrategies.Priority, SchedulingStrategies.WeightedRandom })
        {
            var jobs = await db.Worker(strategy).ClaimAsync(5);
            jobs.Select(j => j.GetPayload<int>()).Should().Equal([1], strategy.Name);
            await db.Worker(strategy).ReleaseAsync(jobs[0]);
        }
    }

    [Fact]
    public async Task Queues_are_served_in_the_order_the_worker_lists_them()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", [1, 2], new EnqueueOptions { Queue = "low" });
        await db.Client.EnqueueManyAsync("t", [3], new EnqueueOptions { Queue = "high" });

        var jobs = await db.Worker(queues: ["high", "low"]).ClaimAsync(2);

        jobs.Select(j => (j.Queue, j.GetPayload<int>())).Should().Equal(("high", 3), ("low", 1));
    }

    [Fact]
    public async Task A_worker_never_takes_jobs_of_queues_it_does_not_list()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "other" });

        (await db.Worker().ClaimAsync(10)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_custom_strategy_plans_claims_from_the_public_steps()
    {
        await using var db = new TestDatabase();
        await SeedAsync(db);

        // Takes the newest job of the highest priority number: a "lowest priority first" strategy.
        var jobs = await db.Worker(new LowestFirst()).ClaimAsync(2);

        jobs.Select(j => j.GetPayload<int>()).Should().Equal(0, 5);
    }

    private sealed class LowestFirst : ISchedulingStrategy
    {
        public string Name => "lowest-first";

        public bool UsesPriorityClasses => true;

        public ClaimPlan Plan(ClaimRequest request) =>
            new([new ClaimStep(ClaimOrder.Fifo, request.MaxJobs, request.RunnablePriorities[^1])]);
    }
}
