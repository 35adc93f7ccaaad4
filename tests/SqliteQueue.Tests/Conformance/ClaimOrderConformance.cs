using System.Collections.Concurrent;
using SqliteQueue.Scheduling;

namespace SqliteQueue.Tests.Conformance;

public abstract class ClaimOrderConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    private static async Task<List<long>> DrainOneByOneAsync(IWorker worker)
    {
        var order = new List<long>();
        while (await worker.ClaimAsync() is [var job])
        {
            order.Add(job.Id);
            (await worker.CompleteAsync(job)).Should().BeTrue();
        }

        return order;
    }

    [Fact]
    public async Task Fifo_claims_the_oldest_runnable_job_first()
    {
        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await Client.EnqueueAsync("t", i, new EnqueueOptions { Priority = 5 - i }));
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        (await DrainOneByOneAsync(NewWorker(strategy: SchedulingStrategies.Fifo))).Should().Equal(ids);
    }

    [Fact]
    public async Task Fifo_orders_by_run_at_before_id()
    {
        var late = await Client.EnqueueAsync("t", 1, new EnqueueOptions { RunAt = Now + TimeSpan.FromSeconds(2) });
        var early = await Client.EnqueueAsync("t", 2, new EnqueueOptions { RunAt = Now + TimeSpan.FromSeconds(1) });
        Time.Advance(TimeSpan.FromSeconds(3));

        (await DrainOneByOneAsync(NewWorker(strategy: SchedulingStrategies.Fifo))).Should().Equal(early, late);
    }

    [Fact]
    public async Task Lifo_claims_the_newest_runnable_job_first()
    {
        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await Client.EnqueueAsync("t", i));
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        ids.Reverse();
        (await DrainOneByOneAsync(NewWorker(strategy: SchedulingStrategies.Lifo))).Should().Equal(ids);
    }

    [Fact]
    public async Task Priority_claims_the_lowest_number_first_then_the_oldest()
    {
        int[] priorities = [5, -3, 0, 5, -3, 1000, -1000];
        var jobs = new List<(long Id, int Priority)>();
        foreach (var p in priorities)
        {
            jobs.Add((await Client.EnqueueAsync("t", p, new EnqueueOptions { Priority = p }), p));
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var expected = jobs.OrderBy(j => j.Priority).ThenBy(j => j.Id).Select(j => j.Id);
        (await DrainOneByOneAsync(NewWorker(strategy: SchedulingStrategies.Priority))).Should().Equal(expected);
    }

    [Fact]
    public async Task The_default_strategy_of_the_options_is_used_when_the_worker_names_none()
    {
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await Client.EnqueueAsync("t", i));
            Time.Advance(TimeSpan.FromMilliseconds(1));
        }

        (await DrainOneByOneAsync(NewWorker())).Should().Equal(ids, "FIFO is the documented default");
    }

    [Fact]
    public async Task A_delayed_job_is_claimable_only_once_the_clock_reaches_its_run_at()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Delay = TimeSpan.FromSeconds(10) });
        var worker = NewWorker();

        (await worker.ClaimAsync()).Should().BeEmpty();
        Time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        (await worker.ClaimAsync()).Should().BeEmpty();
        Time.Advance(TimeSpan.FromMilliseconds(1));

        (await ClaimOneAsync(worker)).Id.Should().Be(id);
    }

    [Fact]
    public async Task A_run_at_in_the_past_is_runnable_at_once_and_a_future_one_is_not()
    {
        var past = await Client.EnqueueAsync("t", 1, new EnqueueOptions { RunAt = Now - TimeSpan.FromDays(1) });
        var future = await Client.EnqueueAsync("t", 2, new EnqueueOptions { RunAt = Now + TimeSpan.FromHours(1) });
        var worker = NewWorker();

        var first = await worker.ClaimAsync(10);
        first.Select(j => j.Id).Should().Equal(past);
        (await worker.CompleteManyAsync(first)).Should().Equal(true);
        Time.Advance(TimeSpan.FromHours(1));
        (await worker.ClaimAsync(10)).Select(j => j.Id).Should().Equal(future);
    }

    [Fact]
    public async Task A_worker_claims_only_from_its_own_queues_and_serves_earlier_queues_first()
    {
        var a = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a" });
        var b = await Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "b" });
        var c = await Client.EnqueueAsync("t", 3, new EnqueueOptions { Queue = "c" });

        (await NewWorker(queues: ["zzz"]).ClaimAsync(10)).Should().BeEmpty();
        var worker = NewWorker(queues: ["b", "a"]);
        var first = await ClaimOneAsync(worker);
        var second = await ClaimOneAsync(worker);

        first.Id.Should().Be(b);
        first.Queue.Should().Be("b");
        second.Id.Should().Be(a);
        (await worker.ClaimAsync(10)).Should().BeEmpty();
        (await JobAsync(c)).State.Should().Be(JobState.Pending);
    }

    [Fact]
    public async Task A_claim_takes_at_most_max_jobs_and_leases_each_of_them()
    {
        var ids = await Client.EnqueueManyAsync("t", Enumerable.Range(0, 10));
        var worker = NewWorker(id: "batch");

        var claimed = await worker.ClaimAsync(4);

        claimed.Should().HaveCount(4);
        claimed.Select(j => j.Id).Should().BeSubsetOf(ids);
        claimed.Select(j => j.LeaseToken).Distinct().Should().ContainSingle("one claim shares one lease token");
        foreach (var job in claimed)
        {
            var info = await JobAsync(job.Id);
            info.State.Should().Be(JobState.Running);
            info.LeaseOwner.Should().Be("batch");
        }

        (await Client.GetStatsAsync()).For(QueueNames.Default).Pending.Should().Be(6);
    }

    [Fact]
    public async Task WeightedRandom_eventually_claims_every_runnable_job_and_never_a_delayed_one()
    {
        var runnable = new List<long>();
        for (var p = 0; p < 4; p++)
        {
            runnable.AddRange(await Client.EnqueueManyAsync("t", Enumerable.Range(0, 10), new EnqueueOptions { Priority = p }));
        }

        var delayed = await Client.EnqueueManyAsync("t", Enumerable.Range(0, 3), new EnqueueOptions { Priority = 0, Delay = TimeSpan.FromMinutes(1) });
        var worker = NewWorker(strategy: new WeightedRandomStrategy(random: new Random(7)));

        var claimed = new List<long>();
        for (var round = 0; round < 100; round++)
        {
            var batch = await worker.ClaimAsync(3);
            if (batch.Count == 0)
            {
                break;
            }

            claimed.AddRange(batch.Select(j => j.Id));
            (await worker.CompleteManyAsync(batch)).Should().OnlyContain(done => done);
        }

        claimed.Should().BeEquivalentTo(runnable).And.OnlyHaveUniqueItems();
        claimed.Should().NotIntersectWith(delayed);
        Time.Advance(TimeSpan.FromMinutes(1));
        (await worker.ClaimAsync(10)).Select(j => j.Id).Should().BeEquivalentTo(delayed);
    }

    [Fact]
    public async Task Four_workers_claiming_at_once_never_share_a_job()
    {
        var ids = await Client.EnqueueManyAsync("t", Enumerable.Range(0, 200));
        var workers = Enumerable.Range(0, 4).Select(i => NewWorker(id: $"w{i}")).ToList();
        var claims = new ConcurrentBag<(string Worker, long Id)>();

        await Task.WhenAll(workers.Select(worker => Task.Run(async () =>
        {
            while (true)
            {
                var batch = await worker.ClaimAsync(7);
                if (batch.Count == 0)
                {
                    return;
                }

                foreach (var job in batch)
                {
                    claims.Add((worker.WorkerId, job.Id));
                }

                (await worker.CompleteManyAsync(batch)).Should().AllBeEquivalentTo(true);
            }
        })));

        claims.Select(c => c.Id).Should().OnlyHaveUniqueItems().And.BeEquivalentTo(ids);
        var stats = (await Client.GetStatsAsync()).For(QueueNames.Default);
        stats.Completed.Should().Be(200);
        stats.Pending.Should().Be(0);
        stats.Running.Should().Be(0);
        foreach (var id in ids.Where((_, i) => i % 20 == 0))
        {
            (await Client.GetExecutionsAsync(id)).Should().ContainSingle();
        }
    }
}

public sealed class ClaimOrderConformanceOnSqliteFile : ClaimOrderConformance<SqliteFileStore>;

public sealed class ClaimOrderConformanceOnSqliteMemory : ClaimOrderConformance<SqliteMemoryStore>;

public sealed class ClaimOrderConformanceOnPostgreSql : ClaimOrderConformance<PostgreSqlStore>;
