using System.Text.Json;

namespace SqliteQueue.Tests.Conformance;

public abstract class JobLifecycleConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public sealed record Order(string Customer, int Quantity, decimal Price, string[] Tags, DateTimeOffset When);

    [Fact]
    public async Task A_typed_payload_and_every_option_round_trip()
    {
        var order = new Order("Ada Lovelace ü 😀", 3, 19.99m, ["a", "b\"quoted\""], new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var created = Now;

        var id = await Client.EnqueueAsync("orders.place", order, new EnqueueOptions
        {
            Queue = "orders",
            Priority = -42,
            MaxAttempts = 7,
            Timeout = TimeSpan.FromSeconds(90),
            Delay = TimeSpan.FromMinutes(5),
            DeduplicationKey = "order-1",
        });

        var job = await JobAsync(id);
        job.Id.Should().Be(id);
        job.Queue.Should().Be("orders");
        job.Type.Should().Be("orders.place");
        job.PayloadJson.Should().Be(JsonSerializer.Serialize(order, Web));
        JsonSerializer.Deserialize<Order>(job.PayloadJson, Web)
            .Should().BeEquivalentTo(order);
        job.Priority.Should().Be(-42);
        job.MaxAttempts.Should().Be(7);
        job.Timeout.Should().Be(TimeSpan.FromSeconds(90));
        job.DeduplicationKey.Should().Be("order-1");
        job.State.Should().Be(JobState.Pending);
        job.Attempt.Should().Be(0);
        job.CreatedAt.Should().Be(created);
        job.RunAt.Should().Be(created + TimeSpan.FromMinutes(5));
        job.StartedAt.Should().BeNull();
        job.FinishedAt.Should().BeNull();
        job.LeaseOwner.Should().BeNull();
        job.LeaseExpiresAt.Should().BeNull();
        job.CancellationRequested.Should().BeFalse();
        job.LastError.Should().BeNull();
    }

    [Fact]
    public async Task A_job_without_options_gets_the_defaults()
    {
        var id = await Client.EnqueueAsync("t", 1);

        var job = await JobAsync(id);
        job.Queue.Should().Be(QueueNames.Default);
        job.Priority.Should().Be(0);
        job.MaxAttempts.Should().Be(new SqliteQueueOptions().DefaultMaxAttempts);
        job.Timeout.Should().BeNull();
        job.DeduplicationKey.Should().BeNull();
        job.RunAt.Should().Be(Now);
        job.CreatedAt.Should().Be(Now);
    }

    [Fact]
    public async Task Times_are_kept_in_whole_milliseconds_rounded_as_documented()
    {
        var sub = TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond / 2);

        var delayed = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(1) + sub, Timeout = TimeSpan.FromSeconds(1) + sub });
        var scheduled = await Client.EnqueueAsync("t", 2, new EnqueueOptions { RunAt = Now + TimeSpan.FromMilliseconds(7) + sub });

        var first = await JobAsync(delayed);
        first.RunAt.Should().Be(Now + TimeSpan.FromMilliseconds(2), "a delay is rounded up");
        first.Timeout.Should().Be(TimeSpan.FromMilliseconds(1001), "a timeout is rounded up");
        (await JobAsync(scheduled)).RunAt.Should().Be(Now + TimeSpan.FromMilliseconds(7), "a run-at is rounded down");
    }

    [Theory]
    [InlineData("{ \"b\" : 1,\n  \"a\": [1, 2.50, 1e3, \"\\u00fc\"] }")]
    [InlineData("12345678901234567890123")]
    [InlineData("\"text with ü and 😀\"")]
    [InlineData("null")]
    [InlineData("{\"z\":1,\"a\":{\"nested\":[true,false,null]}}")]
    public async Task A_json_payload_is_stored_exactly_as_written(string json)
    {
        var id = await Client.EnqueueJsonAsync("raw", json);

        (await JobAsync(id)).PayloadJson.Should().Be(json);
        (await ClaimOneAsync(NewWorker())).PayloadJson.Should().Be(json);
    }

    [Fact]
    public async Task Claim_then_complete_records_the_lease_the_times_and_one_completed_execution()
    {
        var id = await Client.EnqueueAsync("t", new Order("x", 1, 1m, [], Now), new EnqueueOptions { Priority = 3, Timeout = TimeSpan.FromMinutes(1) });
        var enqueuedAt = Now;
        Time.Advance(TimeSpan.FromSeconds(2));
        var worker = NewWorker(id: "w-1");

        var claimed = await ClaimOneAsync(worker);
        var claimedAt = Now;

        claimed.Id.Should().Be(id);
        claimed.Type.Should().Be("t");
        claimed.Queue.Should().Be(QueueNames.Default);
        claimed.Priority.Should().Be(3);
        claimed.Attempt.Should().Be(1);
        claimed.Timeout.Should().Be(TimeSpan.FromMinutes(1));
        claimed.CreatedAt.Should().Be(enqueuedAt);
        claimed.LeaseExpiresAt.Should().Be(claimedAt + Lease);
        claimed.GetPayload<Order>().Customer.Should().Be("x");
        var running = await JobAsync(id);
        running.State.Should().Be(JobState.Running);
        running.Attempt.Should().Be(1);
        running.StartedAt.Should().Be(claimedAt);
        running.LeaseOwner.Should().Be("w-1");
        running.LeaseExpiresAt.Should().Be(claimedAt + Lease);
        (await Client.GetExecutionsAsync(id)).Should().BeEmpty("the running attempt is not listed yet");

        Time.Advance(TimeSpan.FromSeconds(3));
        (await worker.CompleteAsync(claimed)).Should().BeTrue();

        var done = await JobAsync(id);
        done.State.Should().Be(JobState.Completed);
        done.FinishedAt.Should().Be(Now);
        done.LeaseOwner.Should().BeNull();
        done.LeaseExpiresAt.Should().BeNull();
        (await Client.GetExecutionsAsync(id)).Should().Equal(
            new JobExecution(id, 1, "w-1", claimedAt, Now, ExecutionOutcome.Completed, null));
        (await worker.ClaimAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Each_attempt_leaves_one_execution_row_oldest_first()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 3 });
        var a = NewWorker(id: "a", backoff: new FixedBackoff(TimeSpan.FromSeconds(10)));
        var b = NewWorker(id: "b");

        var first = await ClaimOneAsync(a);
        var firstStart = Now;
        Time.Advance(TimeSpan.FromSeconds(1));
        (await a.FailAsync(first, "boom 1")).Applied.Should().BeTrue();
        var firstEnd = Now;
        Time.Advance(TimeSpan.FromSeconds(10));
        var second = await ClaimOneAsync(b);
        var secondStart = Now;
        Time.Advance(TimeSpan.FromSeconds(1));
        (await b.CompleteAsync(second)).Should().BeTrue();

        (await Client.GetExecutionsAsync(id)).Should().Equal(
            new JobExecution(id, 1, "a", firstStart, firstEnd, ExecutionOutcome.Failed, "boom 1"),
            new JobExecution(id, 2, "b", secondStart, Now, ExecutionOutcome.Completed, null));
    }

    [Fact]
    public async Task EnqueueMany_returns_the_ids_in_the_order_of_the_payloads()
    {
        var payloads = Enumerable.Range(0, 40).Select(i => new Order($"c{i}", i, i, [], Now)).ToList();

        var ids = await Client.EnqueueManyAsync("bulk", payloads, new EnqueueOptions { Queue = "q", Priority = 2 });

        ids.Should().HaveCount(40).And.OnlyHaveUniqueItems().And.BeInAscendingOrder();
        for (var i = 0; i < ids.Count; i++)
        {
            var job = await JobAsync(ids[i]);
            JsonSerializer.Deserialize<Order>(job.PayloadJson, Web)!.Quantity.Should().Be(i);
            job.Queue.Should().Be("q");
            job.Priority.Should().Be(2);
        }
    }

    [Fact]
    public async Task EnqueueMany_of_mixed_jobs_keeps_each_jobs_own_settings()
    {
        var jobs = new[]
        {
            new NewJob("a", "{\"n\":0}", new EnqueueOptions { Queue = "x", Priority = 5 }),
            new NewJob("b", "[1,2]"),
            new NewJob("c", "\"s\"", new EnqueueOptions { Delay = TimeSpan.FromSeconds(30), MaxAttempts = 1 }),
        };

        var ids = await Client.EnqueueManyAsync(jobs);

        ids.Should().HaveCount(3).And.BeInAscendingOrder();
        var stored = new List<JobInfo>();
        foreach (var id in ids)
        {
            stored.Add(await JobAsync(id));
        }

        stored.Select(j => (j.Type, j.PayloadJson, j.Queue, j.Priority)).Should().Equal(
            ("a", "{\"n\":0}", "x", 5), ("b", "[1,2]", QueueNames.Default, 0), ("c", "\"s\"", QueueNames.Default, 0));
        stored[2].RunAt.Should().Be(Now + TimeSpan.FromSeconds(30));
        stored[2].MaxAttempts.Should().Be(1);
    }

    [Fact]
    public async Task A_missing_job_reads_as_null_and_waiting_for_it_throws_JobNotFound()
    {
        await Client.EnqueueAsync("t", 1);

        (await Client.GetJobAsync(987_654)).Should().BeNull();
        (await Client.GetExecutionsAsync(987_654)).Should().BeEmpty();
        var wait = () => Client.WaitForJobAsync(987_654).WaitAsync(Infrastructure.Eventually.Bound);
        await wait.Should().ThrowAsync<JobNotFoundException>();
    }

    [Fact]
    public async Task WaitForJob_returns_the_finished_job()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);

        var wait = Client.WaitForJobAsync(id);
        (await worker.CompleteAsync(job)).Should().BeTrue();

        var finished = await wait.WaitAsync(Infrastructure.Eventually.Bound);
        finished.Id.Should().Be(id);
        finished.State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task Bad_enqueue_arguments_throw_naming_the_parameter_and_add_nothing()
    {
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.EnqueueAsync("", 1))).ParamName.Should().Be("type");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.EnqueueJsonAsync("t", "{not json"))).ParamName.Should().Be("payloadJson");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.EnqueueAsync("t", 1, new EnqueueOptions { Priority = 2_000_000 })))
            .ParamName.Should().Be("options.Priority");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.EnqueueAsync("t", 1, new EnqueueOptions { Delay = TimeSpan.FromSeconds(1), RunAt = Now })))
            .ParamName.Should().Be("options.Delay");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = " " })))
            .ParamName.Should().Be("options.Queue");

        (await Client.CountActiveAsync()).Should().Be(0);
    }

    [Fact]
    public async Task A_batch_with_one_bad_job_adds_none_of_them()
    {
        var jobs = new[] { new NewJob("ok", "1"), new NewJob("ok", "2"), new NewJob("ok", "{") };

        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.EnqueueManyAsync(jobs))).ParamName.Should().Be("jobs[2].PayloadJson");

        (await Client.CountActiveAsync()).Should().Be(0);
    }

    [Fact]
    public async Task Bad_job_ids_throw_naming_the_parameter()
    {
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.GetJobAsync(0))).ParamName.Should().Be("jobId");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.CancelAsync(-1))).ParamName.Should().Be("jobId");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Client.ListJobsAsync(new JobQuery { Limit = 0 }))).ParamName.Should().Be("query.Limit");
    }
}

public sealed class JobLifecycleConformanceOnSqliteFile : JobLifecycleConformance<SqliteFileStore>;

public sealed class JobLifecycleConformanceOnSqliteMemory : JobLifecycleConformance<SqliteMemoryStore>;

public sealed class JobLifecycleConformanceOnPostgreSql : JobLifecycleConformance<PostgreSqlStore>;

public sealed class JobLifecycleConformanceOnPostgreSqlPollOnly : JobLifecycleConformance<PostgreSqlPollOnlyStore>;
