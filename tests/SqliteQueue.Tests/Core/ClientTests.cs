using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Core;

public sealed class ClientTests
{
    [Fact]
    public async Task Deduplication_returns_the_live_job_and_adds_nothing()
    {
        await using var db = new TestDatabase();
        var key = new EnqueueOptions { DeduplicationKey = "user-42" };

        var first = await db.Client.EnqueueAsync("t", 1, key);
        var second = await db.Client.EnqueueAsync("t", 2, key);

        second.Should().Be(first);
        (await db.Client.GetStatsAsync()).For("default").Pending.Should().Be(1);
        (await db.Client.GetJobAsync(first))!.PayloadJson.Should().Be("1");
    }

    [Fact]
    public async Task Deduplication_holds_while_running_and_ends_when_the_job_finishes()
    {
        await using var db = new TestDatabase();
        var key = new EnqueueOptions { DeduplicationKey = "k" };
        var first = await db.Client.EnqueueAsync("t", 1, key);
        var worker = db.Worker();
        var job = (await worker.ClaimAsync()).Single();

        (await db.Client.EnqueueAsync("t", 2, key)).Should().Be(first);
        await worker.CompleteAsync(job);
        var next = await db.Client.EnqueueAsync("t", 3, key);

        next.Should().NotBe(first);
    }

    [Fact]
    public async Task Deduplication_keys_are_per_queue()
    {
        await using var db = new TestDatabase();

        var a = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { DeduplicationKey = "k", Queue = "a" });
        var b = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { DeduplicationKey = "k", Queue = "b" });

        a.Should().NotBe(b);
    }

    [Fact]
    public async Task Deduplication_inside_one_batch_returns_the_first_id_twice()
    {
        await using var db = new TestDatabase();

        var ids = await db.Client.EnqueueManyAsync([
            new NewJob("t", "1", new EnqueueOptions { DeduplicationKey = "k" }),
            new NewJob("t", "2", new EnqueueOptions { DeduplicationKey = "k" }),
            new NewJob("t", "3"),
        ]);

        ids[1].Should().Be(ids[0]);
        ids[2].Should().NotBe(ids[0]);
    }

    [Fact]
    public async Task Delayed_job_runs_only_when_its_delay_has_passed()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { Delay = TimeSpan.FromMinutes(5) });
        var worker = db.Worker();

        (await db.Client.GetJobAsync(id))!.RunAt.Should().Be(db.Time.GetUtcNow() + TimeSpan.FromMinutes(5));
        (await worker.ClaimAsync()).Should().BeEmpty();
        db.Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));
        (await worker.ClaimAsync()).Should().BeEmpty();
        db.Time.Advance(TimeSpan.FromMilliseconds(1));
        (await worker.ClaimAsync()).Single().Id.Should().Be(id);
    }

    [Fact]
    public async Task Run_at_schedules_the_job_for_that_time_and_a_past_time_runs_at_once()
    {
        await using var db = new TestDatabase();
        var at = db.Time.GetUtcNow().AddHours(2);
        var later = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { RunAt = at });
        var past = await db.Client.EnqueueAsync("t", 2, new EnqueueOptions { RunAt = db.Time.GetUtcNow().AddDays(-1) });
        var worker = db.Worker();

        var first = await worker.ClaimAsync(10);
        first.Select(j => j.Id).Should().Equal(past);
        await worker.CompleteAsync(first[0]);
        db.Time.Advance(TimeSpan.FromHours(2));
        (await worker.ClaimAsync(10)).Select(j => j.Id).Should().Equal(later);
    }

    [Fact]
    public async Task Enqueue_many_adds_all_jobs_in_order_or_none()
    {
        await using var db = new TestDatabase();

        var ids = await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 500));
        ids.Should().HaveCount(500).And.BeInAscendingOrder();
        (await db.Client.GetJobAsync(ids[499]))!.PayloadJson.Should().Be("499");

        var act = () => db.Client.EnqueueManyAsync([new NewJob("t", "1"), new NewJob("t", "not json")]);
        await act.Should().ThrowAsync<ArgumentException>();
        (await db.Client.GetStatsAsync()).For("default").Pending.Should().Be(500);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1000)]
    public async Task Enqueue_many_returns_ids_in_input_order_across_chunks_and_deduplicated_rows(int count)
    {
        await using var db = new TestDatabase();
        var existing = await db.Client.EnqueueAsync("t", -1, new EnqueueOptions { DeduplicationKey = "held" });

        // Every seventh job carries a key; one of them is the key a live job already holds.
        var jobs = Enumerable.Range(0, count).Select(i => new NewJob("t", i.ToString(System.Globalization.CultureInfo.InvariantCulture), new EnqueueOptions
        {
            Priority = i % 3,
            DeduplicationKey = i == 5 ? "held" : i % 7 == 3 ? $"k{i}" : null,
            Delay = TimeSpan.FromSeconds(i % 2),
        })).ToList();
        var ids = await db.Client.EnqueueManyAsync(jobs);

        ids.Should().HaveCount(count);
        for (var i = 0; i < count; i++)
        {
            if (i == 5)
            {
                ids[i].Should().Be(existing);
                continue;
            }

            var job = await db.Client.GetJobAsync(ids[i]);
            job!.PayloadJson.Should().Be(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            job.Priority.Should().Be(i % 3);
            job.RunAt.Should().Be(db.Time.GetUtcNow().AddSeconds(i % 2));
            job.DeduplicationKey.Should().Be(i % 7 == 3 ? $"k{i}" : null);
        }

        ids.Where((_, i) => i != 5).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Raw_json_is_stored_as_given()
    {
        await using var db = new TestDatabase();
        const string Json = """{ "b": [1, 2.50, null], "a": "x" }""";

        var id = await db.Client.EnqueueJsonAsync("t", Json);

        (await db.Client.GetJobAsync(id))!.PayloadJson.Should().Be(Json);
        var claimed = (await db.Worker().ClaimAsync()).Single();
        claimed.PayloadJson.Should().Be(Json);
        claimed.GetPayload<Payload>().Should().Be(new Payload("x", [1, 2.5m, null]));
    }

    [Fact]
    public async Task Job_options_are_stored()
    {
        await using var db = new TestDatabase();

        var id = await db.Client.EnqueueAsync("mail.send", new { To = "x" }, new EnqueueOptions
        {
            Queue = "mail",
            Priority = -7,
            MaxAttempts = 9,
            Timeout = TimeSpan.FromMinutes(3),
            DeduplicationKey = "d",
        });

        var job = await db.Client.GetJobAsync(id);
        job!.Queue.Should().Be("mail");
        job.Type.Should().Be("mail.send");
        job.Priority.Should().Be(-7);
        job.MaxAttempts.Should().Be(9);
        job.Timeout.Should().Be(TimeSpan.FromMinutes(3));
        job.DeduplicationKey.Should().Be("d");
        var claimed = (await db.Worker(queues: ["mail"]).ClaimAsync()).Single();
        claimed.Timeout.Should().Be(TimeSpan.FromMinutes(3));
        claimed.MaxAttempts.Should().Be(9);
        claimed.Priority.Should().Be(-7);
    }

    [Fact]
    public async Task Get_of_an_unknown_job_is_null()
    {
        await using var db = new TestDatabase();

        (await db.Client.GetJobAsync(12345)).Should().BeNull();
        (await db.Client.GetExecutionsAsync(12345)).Should().BeEmpty();
    }

    [Fact]
    public async Task List_filters_by_queue_state_and_type_and_pages_by_id()
    {
        await using var db = new TestDatabase();
        for (var i = 0; i < 25; i++)
        {
            await db.Client.EnqueueAsync(i % 2 == 0 ? "even" : "odd", i, new EnqueueOptions { Queue = i < 20 ? "q1" : "q2" });
        }

        var worker = db.Worker(queues: ["q1"]);
        foreach (var job in await worker.ClaimAsync(3))
        {
            await worker.CompleteAsync(job);
        }

        var page1 = await db.Client.ListJobsAsync(new JobQuery { Queue = "q1", State = JobState.Pending, Limit = 10 });
        var page2 = await db.Client.ListJobsAsync(new JobQuery { Queue = "q1", State = JobState.Pending, Limit = 10, AfterId = page1.NextAfterId!.Value });

        page1.Jobs.Should().HaveCount(10).And.OnlyContain(j => j.Queue == "q1" && j.State == JobState.Pending);
        page2.Jobs.Should().HaveCount(7);
        page2.NextAfterId.Should().BeNull();
        page1.Jobs.Concat(page2.Jobs).Select(j => j.Id).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        (await db.Client.ListJobsAsync(new JobQuery { State = JobState.Completed })).Jobs.Should().HaveCount(3);
        (await db.Client.ListJobsAsync(new JobQuery { Type = "odd", Queue = "q2" })).Jobs.Select(j => j.PayloadJson).Should().Equal("21", "23");
        (await db.Client.ListJobsAsync(new JobQuery())).Jobs.Should().HaveCount(25);
    }

    [Fact]
    public async Task Stats_count_per_queue_and_state_and_age_the_oldest_runnable_job()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a" });
        db.Time.Advance(TimeSpan.FromSeconds(30));
        await db.Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "a" });
        await db.Client.EnqueueAsync("t", 3, new EnqueueOptions { Queue = "a", Delay = TimeSpan.FromHours(1) });
        var dead = await db.Client.EnqueueAsync("t", 4, new EnqueueOptions { Queue = "b", MaxAttempts = 1 });
        var cancelled = await db.Client.EnqueueAsync("t", 5, new EnqueueOptions { Queue = "b" });
        await db.Client.CancelAsync(cancelled);
        var worker = db.Worker(queues: ["b"]);
        await worker.FailAsync((await worker.ClaimAsync()).Single(j => j.Id == dead), "x");
        await db.Client.EnqueueAsync("t", 6, new EnqueueOptions { Queue = "b" });
        await worker.ClaimAsync();
        db.Time.Advance(TimeSpan.FromSeconds(10));

        var stats = await db.Client.GetStatsAsync();

        stats.Queues.Select(q => q.Queue).Should().Equal("a", "b");
        stats.For("a").Should().Be(new QueueStatistics("a", 3, 2, 0, 0, 0, 0, TimeSpan.FromSeconds(40)));
        stats.For("b").Should().Be(new QueueStatistics("b", 0, 0, 1, 0, 1, 1, null));
        stats.For("none").Pending.Should().Be(0);
    }

    [Fact]
    public async Task Wait_for_job_returns_when_another_worker_in_the_process_finishes_it()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var wait = db.Client.WaitForJobAsync(id);
        await Task.Yield();
        wait.IsCompleted.Should().BeFalse();

        var worker = db.Worker();
        await worker.CompleteAsync((await worker.ClaimAsync()).Single());

        var finished = await wait.WaitAsync(TimeSpan.FromSeconds(30));
        finished.State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task Wait_for_job_notices_a_change_made_through_another_store_on_the_next_poll()
    {
        await using var db = new TestDatabase(configure: o => o.PollInterval = TimeSpan.FromSeconds(1));
        var id = await db.Client.EnqueueAsync("t", 1);
        var other = db.Open();
        var wait = db.Client.WaitForJobAsync(id);

        var worker = other.Create();
        await worker.CompleteAsync((await worker.ClaimAsync()).Single());
        wait.IsCompleted.Should().BeFalse("the other store's change is only seen by polling");

        // Advance the fake clock until the poll has run and seen the change.
        for (var i = 0; i < 3000 && !wait.IsCompleted; i++)
        {
            db.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task Wait_for_an_unknown_job_throws()
    {
        await using var db = new TestDatabase();

        var act = () => db.Client.WaitForJobAsync(77);

        (await act.Should().ThrowAsync<JobNotFoundException>()).WithMessage(Internal.Errors.JobNotFound(77));
    }

    [Fact]
    public async Task Wait_until_idle_returns_when_the_queue_has_no_pending_or_running_jobs()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", [1, 2, 3], new EnqueueOptions { Queue = "q" });
        await db.Client.EnqueueAsync("t", 9, new EnqueueOptions { Queue = "other" });
        var idle = db.Client.WaitUntilIdleAsync("q");
        var worker = db.Worker(queues: ["q"]);

        var jobs = await worker.ClaimAsync(3);
        idle.IsCompleted.Should().BeFalse();
        foreach (var job in jobs)
        {
            await worker.CompleteAsync(job);
        }

        await idle.WaitAsync(TimeSpan.FromSeconds(30));
        (await db.Client.GetStatsAsync()).For("other").Pending.Should().Be(1);
    }

    [Fact]
    public async Task Waits_end_when_cancelled()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        using var cts = new CancellationTokenSource();

        var wait = db.Client.WaitForJobAsync(id, cts.Token);
        await cts.CancelAsync();

        await wait.Invoking(w => w).Should().ThrowAsync<OperationCanceledException>();
    }

    private sealed record Payload(string A, decimal?[] B)
    {
        public bool Equals(Payload? other) => other is not null && other.A == A && other.B.SequenceEqual(B);

        public override int GetHashCode() => A.GetHashCode(StringComparison.Ordinal);
    }
}
