namespace SqliteQueue.Tests.Conformance;

public abstract class DeduplicationConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    private static EnqueueOptions Key(string key, string? queue = null, int priority = 0) =>
        new() { DeduplicationKey = key, Queue = queue, Priority = priority };

    [Fact]
    public async Task The_same_key_while_pending_returns_the_same_id_and_ignores_the_second_call()
    {
        var first = await Client.EnqueueJsonAsync("t", "{\"v\":1}", Key("k", priority: 1));
        var second = await Client.EnqueueJsonAsync("t", "{\"v\":2}", Key("k", priority: 9));

        second.Should().Be(first);
        (await Client.CountActiveAsync()).Should().Be(1);
        var job = await JobAsync(first);
        job.PayloadJson.Should().Be("{\"v\":1}");
        job.Priority.Should().Be(1);
        job.DeduplicationKey.Should().Be("k");
    }

    [Fact]
    public async Task The_same_key_while_running_returns_the_same_id()
    {
        var first = await Client.EnqueueAsync("t", 1, Key("k"));
        await ClaimOneAsync(NewWorker());

        (await Client.EnqueueAsync("t", 2, Key("k"))).Should().Be(first);
        (await Client.CountActiveAsync()).Should().Be(1);
    }

    [Fact]
    public async Task A_delayed_job_holds_its_key_too()
    {
        var first = await Client.EnqueueAsync("t", 1, new EnqueueOptions { DeduplicationKey = "k", Delay = TimeSpan.FromHours(1) });

        (await Client.EnqueueAsync("t", 2, Key("k"))).Should().Be(first);
    }

    [Fact]
    public async Task Once_the_job_has_finished_the_key_is_free_again()
    {
        var completed = await Client.EnqueueAsync("t", 1, Key("k"));
        var worker = NewWorker();
        (await worker.CompleteAsync(await ClaimOneAsync(worker))).Should().BeTrue();

        var afterCompleted = await Client.EnqueueAsync("t", 2, Key("k"));
        afterCompleted.Should().NotBe(completed);
        (await worker.FailAsync(await ClaimOneAsync(worker), "x", permanent: true)).State.Should().Be(JobState.Dead);
        var afterDead = await Client.EnqueueAsync("t", 3, Key("k"));
        afterDead.Should().NotBe(afterCompleted);
        (await Client.CancelAsync(afterDead)).Should().Be(CancelResult.Cancelled);
        var afterCancelled = await Client.EnqueueAsync("t", 4, Key("k"));

        new[] { completed, afterCompleted, afterDead, afterCancelled }.Should().OnlyHaveUniqueItems();
        (await JobAsync(afterCancelled)).State.Should().Be(JobState.Pending);
    }

    [Fact]
    public async Task Keys_are_per_queue()
    {
        var a = await Client.EnqueueAsync("t", 1, Key("k", "a"));
        var b = await Client.EnqueueAsync("t", 1, Key("k", "b"));

        b.Should().NotBe(a);
        (await Client.EnqueueAsync("t", 1, Key("k", "a"))).Should().Be(a);
        (await Client.EnqueueAsync("other-type", 1, Key("k", "b"))).Should().Be(b, "the type is not part of the key");
        (await Client.CountActiveAsync()).Should().Be(2);
    }

    [Fact]
    public async Task Jobs_without_a_key_are_never_merged()
    {
        var a = await Client.EnqueueAsync("t", 1);
        var b = await Client.EnqueueAsync("t", 1);

        b.Should().NotBe(a);
    }

    [Fact]
    public async Task A_batch_with_repeated_keys_gives_later_duplicates_the_earlier_id()
    {
        var jobs = new[]
        {
            new NewJob("t", "1", Key("x")),
            new NewJob("t", "2", Key("y")),
            new NewJob("t", "3", Key("x")),
            new NewJob("t", "4"),
            new NewJob("t", "5", Key("y")),
        };

        var ids = await Client.EnqueueManyAsync(jobs);

        ids.Should().HaveCount(5);
        ids[2].Should().Be(ids[0]);
        ids[4].Should().Be(ids[1]);
        new[] { ids[0], ids[1], ids[3] }.Should().OnlyHaveUniqueItems();
        (await Client.CountActiveAsync()).Should().Be(3);
        (await JobAsync(ids[0])).PayloadJson.Should().Be("1");
    }

    [Fact]
    public async Task A_batch_entry_whose_key_a_live_job_holds_gets_that_jobs_id()
    {
        var live = await Client.EnqueueAsync("t", 0, Key("k"));

        var ids = await Client.EnqueueManyAsync("t", [1, 2], Key("k"));

        ids.Should().Equal(live, live);
        (await Client.CountActiveAsync()).Should().Be(1);
    }

    [Fact]
    public async Task Retrying_a_dead_job_whose_key_a_new_live_job_holds_is_refused_and_changes_nothing()
    {
        var dead = await Client.EnqueueAsync("t", 1, Key("k"));
        var worker = NewWorker();
        await worker.FailAsync(await ClaimOneAsync(worker), "x", permanent: true);
        var live = await Client.EnqueueAsync("t", 2, Key("k"));

        await FluentActions.Invoking(() => Client.RetryAsync(dead)).Should().ThrowAsync<SqliteQueueException>();

        (await JobAsync(dead)).State.Should().Be(JobState.Dead);
        (await JobAsync(live)).State.Should().Be(JobState.Pending);
        (await worker.CompleteAsync(await ClaimOneAsync(worker))).Should().BeTrue();
        (await Client.RetryAsync(dead)).Should().BeTrue("the key is free once the other job has finished");
    }
}

public sealed class DeduplicationConformanceOnSqliteFile : DeduplicationConformance<SqliteFileStore>;

public sealed class DeduplicationConformanceOnSqliteMemory : DeduplicationConformance<SqliteMemoryStore>;

public sealed class DeduplicationConformanceOnPostgreSql : DeduplicationConformance<PostgreSqlStore>;
