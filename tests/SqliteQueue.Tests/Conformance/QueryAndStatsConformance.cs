using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Conformance;

public abstract class QueryAndStatsConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    private static async Task<List<long>> IdsAsync(Task<JobPage> page) => [.. (await page).Jobs.Select(j => j.Id)];

    [Fact]
    public async Task ListJobs_filters_by_state_queue_and_type()
    {
        var aOne = await Client.EnqueueAsync("one", 1, new EnqueueOptions { Queue = "a" });
        var aTwo = await Client.EnqueueAsync("two", 2, new EnqueueOptions { Queue = "a" });
        var bOne = await Client.EnqueueAsync("one", 3, new EnqueueOptions { Queue = "b" });
        var worker = NewWorker(queues: ["a"]);
        var running = await ClaimOneAsync(worker);

        running.Id.Should().Be(aOne);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { State = JobState.Running }))).Should().Equal(aOne);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { State = JobState.Pending }))).Should().Equal(aTwo, bOne);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { Queue = "a" }))).Should().Equal(aOne, aTwo);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { Type = "one" }))).Should().Equal(aOne, bOne);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { Queue = "b", Type = "one", State = JobState.Pending }))).Should().Equal(bOne);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { Queue = "b", State = JobState.Completed }))).Should().BeEmpty();
        (await IdsAsync(Client.ListJobsAsync(new JobQuery()))).Should().Equal(aOne, aTwo, bOne);
    }

    [Fact]
    public async Task ListJobs_returns_full_job_snapshots()
    {
        var id = await Client.EnqueueJsonAsync("t", "{\"k\":\"v\"}", new EnqueueOptions { Queue = "q", Priority = 4, DeduplicationKey = "d" });

        var job = (await Client.ListJobsAsync(new JobQuery { Queue = "q" })).Jobs.Single();

        job.Should().Be(await JobAsync(id));
    }

    [Fact]
    public async Task ListJobs_filters_by_payload_text_case_sensitively()
    {
        var alice = await Client.EnqueueJsonAsync("t", "{\"name\":\"Alice\"}");
        await Client.EnqueueJsonAsync("t", "{\"name\":\"Bob\"}");
        var alicia = await Client.EnqueueJsonAsync("t", "{\"note\":\"Alice and Carol\"}");

        (await IdsAsync(Client.ListJobsAsync(new JobQuery { PayloadContains = "Alice" }))).Should().Equal(alice, alicia);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { PayloadContains = "alice" }))).Should().BeEmpty();
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { PayloadContains = "\"name\":\"Bob\"" }))).Should().HaveCount(1);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { PayloadContains = "%" }))).Should().BeEmpty("the text is not a pattern");
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { PayloadContains = "_" }))).Should().BeEmpty("the text is not a pattern");
    }

    [Fact]
    public async Task ListJobs_filters_by_a_created_range_that_includes_its_start_and_excludes_its_end()
    {
        var t0 = Now;
        var first = await Client.EnqueueAsync("t", 1);
        Time.Advance(TimeSpan.FromMinutes(1));
        var second = await Client.EnqueueAsync("t", 2);
        Time.Advance(TimeSpan.FromMinutes(1));
        var third = await Client.EnqueueAsync("t", 3);

        (await IdsAsync(Client.ListJobsAsync(new JobQuery { CreatedAfter = t0 + TimeSpan.FromMinutes(1), CreatedBefore = t0 + TimeSpan.FromMinutes(2) })))
            .Should().Equal(second);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { CreatedAfter = t0 + TimeSpan.FromSeconds(1) }))).Should().Equal(second, third);
        (await IdsAsync(Client.ListJobsAsync(new JobQuery { CreatedBefore = t0 + TimeSpan.FromMinutes(1) }))).Should().Equal(first);
    }

    [Fact]
    public async Task ListJobs_pages_forward_with_NextAfterId()
    {
        var ids = await Client.EnqueueManyAsync("t", Enumerable.Range(0, 7));
        await Client.EnqueueAsync("t", 99, new EnqueueOptions { Queue = "elsewhere" });

        var pages = new List<List<long>>();
        long after = 0;
        while (true)
        {
            var page = await Client.ListJobsAsync(new JobQuery { Queue = QueueNames.Default, AfterId = after, Limit = 3 });
            pages.Add([.. page.Jobs.Select(j => j.Id)]);
            page.NextBeforeId.Should().BeNull();
            if (page.NextAfterId is not { } next)
            {
                break;
            }

            after = next;
            pages.Should().HaveCountLessThan(10);
        }

        pages.SelectMany(p => p).Should().Equal(ids);
        pages.Take(2).Should().OnlyContain(p => p.Count == 3);
    }

    [Fact]
    public async Task ListJobs_pages_newest_first_with_NextBeforeId()
    {
        var ids = await Client.EnqueueManyAsync("t", Enumerable.Range(0, 7));

        var first = await Client.ListJobsAsync(new JobQuery { NewestFirst = true, Limit = 3 });
        var second = await Client.ListJobsAsync(new JobQuery { NewestFirst = true, Limit = 3, BeforeId = first.NextBeforeId });
        var third = await Client.ListJobsAsync(new JobQuery { NewestFirst = true, Limit = 3, BeforeId = second.NextBeforeId });

        first.NextAfterId.Should().BeNull();
        first.Jobs.Select(j => j.Id).Should().Equal(ids[6], ids[5], ids[4]);
        first.NextBeforeId.Should().Be(ids[4]);
        second.Jobs.Select(j => j.Id).Should().Equal(ids[3], ids[2], ids[1]);
        third.Jobs.Select(j => j.Id).Should().Equal(ids[0]);
        third.NextBeforeId.Should().BeNull();
    }

    [Fact]
    public async Task Stats_count_jobs_per_queue_and_state()
    {
        var worker = NewWorker(queues: ["a"], backoff: new FixedBackoff(TimeSpan.FromMinutes(1)));
        var ids = await Client.EnqueueManyAsync("t", Enumerable.Range(0, 6), new EnqueueOptions { Queue = "a" });
        await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a", Delay = TimeSpan.FromHours(1) });
        await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "b" });
        await worker.CompleteAsync(await ClaimOneAsync(worker));
        await worker.FailAsync(await ClaimOneAsync(worker), "dead", permanent: true);
        await worker.FailAsync(await ClaimOneAsync(worker), "retry later");
        await ClaimOneAsync(worker);
        (await Client.CancelAsync(ids[5])).Should().Be(CancelResult.Cancelled);

        var stats = await Client.GetStatsAsync();

        stats.Queues.Select(q => q.Queue).Should().BeEquivalentTo("a", "b");
        var a = stats.For("a");
        a.Completed.Should().Be(1);
        a.Dead.Should().Be(1);
        a.Running.Should().Be(1);
        a.Cancelled.Should().Be(1);
        a.Pending.Should().Be(3, "one runnable, one delayed and one waiting for its retry");
        a.Runnable.Should().Be(1);
        stats.For("b").Should().Be(new QueueStatistics("b", 1, 1, 0, 0, 0, 0, TimeSpan.Zero));
        stats.For("never-used").Should().Be(new QueueStatistics("never-used", 0, 0, 0, 0, 0, 0, null));
    }

    [Fact]
    public async Task Stats_report_how_long_the_oldest_runnable_job_has_waited()
    {
        await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a" });
        Time.Advance(TimeSpan.FromSeconds(10));
        await Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "a" });
        await Client.EnqueueAsync("t", 3, new EnqueueOptions { Queue = "b", Delay = TimeSpan.FromMinutes(1) });
        Time.Advance(TimeSpan.FromSeconds(20));

        var stats = await Client.GetStatsAsync();

        stats.For("a").OldestRunnableAge.Should().Be(TimeSpan.FromSeconds(30));
        stats.For("b").OldestRunnableAge.Should().BeNull("its only job is not due yet");
        stats.For("b").Runnable.Should().Be(0);
        stats.For("b").Pending.Should().Be(1);
    }

    [Fact]
    public async Task Active_jobs_are_the_pending_delayed_and_running_ones()
    {
        var pending = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a" });
        var delayed = await Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "a", Delay = TimeSpan.FromHours(1) });
        var running = await Client.EnqueueAsync("t", 3, new EnqueueOptions { Queue = "b" });
        var done = await Client.EnqueueAsync("t", 4, new EnqueueOptions { Queue = "b" });
        var worker = NewWorker(queues: ["b"]);
        (await ClaimOneAsync(worker)).Id.Should().Be(running);
        (await worker.CompleteAsync(await ClaimOneAsync(worker))).Should().BeTrue();

        (await Client.IsActiveAsync(pending)).Should().BeTrue();
        (await Client.IsActiveAsync(delayed)).Should().BeTrue();
        (await Client.IsActiveAsync(running)).Should().BeTrue();
        (await Client.IsActiveAsync(done)).Should().BeFalse();
        (await Client.IsActiveAsync(424_242)).Should().BeFalse();
        (await Client.CountActiveAsync()).Should().Be(3);
        (await Client.CountActiveAsync("a")).Should().Be(2);
        (await Client.CountActiveAsync("b")).Should().Be(1);
        (await Client.CountActiveAsync("none")).Should().Be(0);
        (await Client.ListActiveJobIdsAsync()).Should().Equal(pending, delayed, running);
        (await Client.ListActiveJobIdsAsync("b")).Should().Equal(running);
        (await Client.ListActiveJobIdsAsync(limit: 2)).Should().Equal(pending, delayed);
    }

    [Fact]
    public async Task WaitUntilIdle_returns_once_the_queue_is_drained_and_ignores_other_queues()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a" });
        await Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "other" });
        await Client.WaitUntilIdleAsync("empty").WaitAsync(Eventually.Bound);
        var worker = NewWorker(queues: ["a"]);
        var job = await ClaimOneAsync(worker);

        var wait = Client.WaitUntilIdleAsync("a");
        await Client.GetStatsAsync();
        var idleTooSoon = wait.IsCompleted;
        (await worker.CompleteAsync(job)).Should().BeTrue();
        await wait.WaitAsync(Eventually.Bound);

        idleTooSoon.Should().BeFalse("a running job keeps its queue busy");
        (await JobAsync(id)).State.Should().Be(JobState.Completed);
        (await Client.CountActiveAsync("other")).Should().Be(1);
    }

    [Fact]
    public async Task Bad_query_arguments_throw_naming_the_parameter()
    {
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.ListJobsAsync(new JobQuery { CreatedAfter = Now, CreatedBefore = Now })))
            .ParamName.Should().Be("query.CreatedBefore");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.ListActiveJobIdsAsync(limit: 0))).ParamName.Should().Be("limit");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.CountActiveAsync(""))).ParamName.Should().Be("queue");
    }
}

public sealed class QueryAndStatsConformanceOnSqliteFile : QueryAndStatsConformance<SqliteFileStore>;

public sealed class QueryAndStatsConformanceOnSqliteMemory : QueryAndStatsConformance<SqliteMemoryStore>;

public sealed class QueryAndStatsConformanceOnPostgreSql : QueryAndStatsConformance<PostgreSqlStore>;
