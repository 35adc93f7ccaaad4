using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

public sealed class BulkJobsTests
{
    [Fact]
    public async Task RetryJobsAsync_retries_only_the_dead_jobs_of_the_queue_and_type_asked_for()
    {
        await using var db = new TestDatabase();
        var target = await DeadAsync(db.Queue, 3, "mail", "send");
        var otherType = await DeadAsync(db.Queue, 2, "mail", "bounce");
        var otherQueue = await DeadAsync(db.Queue, 2, "sms", "send");
        var cancelled = await CancelledAsync(db.Client, 2, "mail", "send");

        var retried = await db.Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Dead) { Queue = "mail", Type = "send" });

        retried.Should().Be(3);
        foreach (var id in target)
        {
            (await db.Client.GetJobAsync(id))!.Should().Match<JobInfo>(j => j.State == JobState.Pending && j.Attempt == 0 && j.FinishedAt == null);
        }

        foreach (var id in otherType.Concat(otherQueue))
        {
            (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Dead);
        }

        foreach (var id in cancelled)
        {
            (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Cancelled);
        }

        var claimed = await db.Queue.Create(new WorkerOptions { Queues = ["mail"], WorkerId = "w" }).ClaimAsync(10);
        claimed.Select(j => j.Id).Should().BeEquivalentTo(target, "retried jobs run at once");
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task RetryJobsAsync_with_Before_retries_only_jobs_that_finished_earlier()
    {
        await using var db = new TestDatabase();
        var early = await DeadAsync(db.Queue, 2);
        db.Time.Advance(TimeSpan.FromHours(1));
        var cut = db.Time.GetUtcNow();
        var onTheCut = await DeadAsync(db.Queue, 1);
        db.Time.Advance(TimeSpan.FromHours(1));
        var late = await CancelledAsync(db.Client, 2);

        (await db.Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Dead) { Before = cut })).Should().Be(2);
        (await db.Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Cancelled) { Before = cut })).Should().Be(0);

        (await db.Client.GetJobAsync(early[0]))!.State.Should().Be(JobState.Pending);
        (await db.Client.GetJobAsync(onTheCut[0]))!.State.Should().Be(JobState.Dead, "Before is exclusive");
        (await db.Client.GetJobAsync(late[0]))!.State.Should().Be(JobState.Cancelled);
        (await db.Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Cancelled))).Should().Be(2);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task A_dead_job_whose_deduplication_key_a_live_job_holds_is_left_dead()
    {
        await using var db = new TestDatabase();
        var worker = db.Worker();
        var first = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { DeduplicationKey = "k" });
        var free = await db.Client.EnqueueAsync("t", 2, new EnqueueOptions { DeduplicationKey = "other" });
        foreach (var job in await worker.ClaimAsync(2))
        {
            await worker.FailAsync(job, "boom", permanent: true);
        }

        var live = await db.Client.EnqueueAsync("t", 3, new EnqueueOptions { DeduplicationKey = "k" });
        live.Should().NotBe(first);

        (await db.Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Dead))).Should().Be(1);

        (await db.Client.GetJobAsync(first))!.State.Should().Be(JobState.Dead);
        (await db.Client.GetJobAsync(free))!.State.Should().Be(JobState.Pending);
        (await db.Client.GetJobAsync(live))!.State.Should().Be(JobState.Pending);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task DeleteJobsAsync_by_ids_deletes_every_state_but_running_with_its_executions()
    {
        await using var db = new TestDatabase();
        var running = await RunningAsync(db.Queue, 1);
        var completed = await CompletedAsync(db.Queue, 2, "q2");
        var dead = await DeadAsync(db.Queue, 1, "q2");
        var pending = await PendingAsync(db.Client, 2, "q3");
        var kept = await PendingAsync(db.Client, 1, "q3");

        var deleted = await db.Queue.Maintenance.DeleteJobsAsync([running[0].Id, .. completed, .. dead, .. pending, 999_999, completed[0]]);

        deleted.Should().Be(5, "the running job, an unknown id and a repeated id delete nothing more");
        (await db.Client.GetJobAsync(running[0].Id))!.State.Should().Be(JobState.Running);
        (await db.Client.GetJobAsync(kept[0]))!.State.Should().Be(JobState.Pending);
        foreach (var id in completed.Concat(dead).Concat(pending))
        {
            (await db.Client.GetJobAsync(id)).Should().BeNull();
        }

        Long(db, $"SELECT COUNT(*) FROM queue_executions WHERE job_id IN ({Ids([.. completed, .. dead])});").Should().Be(0);
        (await db.Queue.Maintenance.DeleteJobsAsync([])).Should().Be(0);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task DeleteJobsAsync_by_ids_works_through_many_chunks()
    {
        await using var db = new TestDatabase();
        var ids = await PendingAsync(db.Client, 1700);

        (await db.Queue.Maintenance.DeleteJobsAsync(ids)).Should().Be(1700);

        Long(db, "SELECT COUNT(*) FROM queue_jobs;").Should().Be(0);
    }

    [Fact]
    public async Task DeleteJobsAsync_by_filter_deletes_the_matching_jobs_only()
    {
        await using var db = new TestDatabase();
        var a = await CompletedAsync(db.Queue, 3, "a", "x");
        var aOtherType = await CompletedAsync(db.Queue, 1, "a", "y");
        var b = await CompletedAsync(db.Queue, 2, "b", "x");
        var pending = await PendingAsync(db.Client, 2, "a", "x");

        (await db.Queue.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Completed) { Queue = "a", Type = "x" })).Should().Be(3);

        foreach (var id in a)
        {
            (await db.Client.GetJobAsync(id)).Should().BeNull();
        }

        foreach (var id in aOtherType.Concat(b))
        {
            (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Completed);
        }

        (await db.Queue.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Pending) { Before = db.Time.GetUtcNow() })).Should().Be(0, "Before is exclusive of now");
        db.Time.Advance(TimeSpan.FromSeconds(1));
        (await db.Queue.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Pending) { Before = db.Time.GetUtcNow() })).Should().Be(pending.Count);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task DeleteJobsAsync_refuses_running_jobs_naming_the_filter_state()
    {
        await using var db = new TestDatabase();
        await RunningAsync(db.Queue, 1);

        (await db.Queue.Maintenance.Invoking(m => m.DeleteJobsAsync(new JobFilter(JobState.Running))).Should().ThrowAsync<ArgumentException>())
            .Which.ParamName.Should().Be("filter.State");
        (await db.Client.GetStatsAsync()).For(QueueNames.Default).Running.Should().Be(1);
    }

    [Fact]
    public async Task PurgeQueueAsync_empties_one_queue_and_asks_its_running_jobs_to_stop()
    {
        await using var db = new TestDatabase();
        var running = await RunningAsync(db.Queue, 2, "doomed");
        await CompletedAsync(db.Queue, 2, "doomed");
        await DeadAsync(db.Queue, 1, "doomed");
        await CancelledAsync(db.Client, 1, "doomed");
        await PendingAsync(db.Client, 3, "doomed");
        var otherDone = await CompletedAsync(db.Queue, 2, "safe");
        var otherPending = await PendingAsync(db.Client, 2, "safe");
        var requested = new List<long>();
        db.Queue.Store.CancelRequested += id =>
        {
            lock (requested)
            {
                requested.Add(id);
            }
        };

        var result = await db.Queue.Maintenance.PurgeQueueAsync("doomed");

        result.Should().Be(new PurgeResult(Deleted: 7, CancellationRequested: 2));
        requested.Should().BeEquivalentTo(running.Select(j => j.Id));
        var stats = await db.Client.GetStatsAsync();
        stats.For("doomed").Should().Match<QueueStatistics>(s => s.Pending == 0 && s.Running == 2 && s.Completed == 0 && s.Dead == 0 && s.Cancelled == 0);
        stats.For("safe").Should().Match<QueueStatistics>(s => s.Pending == 2 && s.Completed == 2);
        (await db.Client.GetJobAsync(running[0].Id))!.CancellationRequested.Should().BeTrue();
        (await db.Client.GetJobAsync(otherDone[0]))!.State.Should().Be(JobState.Completed);
        (await db.Client.GetJobAsync(otherPending[0]))!.State.Should().Be(JobState.Pending);

        // The stopped workers' failures finish the jobs as cancelled, and a second purge clears them.
        var worker = db.Queue.Create(new WorkerOptions { Queues = ["doomed"], WorkerId = "kit" });
        foreach (var job in running)
        {
            (await worker.FailAsync(job, "stopped")).State.Should().Be(JobState.Cancelled);
        }

        (await db.Queue.Maintenance.PurgeQueueAsync("doomed")).Should().Be(new PurgeResult(2, 0));
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task Bulk_changes_of_tens_of_thousands_of_jobs_keep_the_counts_exact()
    {
        await using var db = new TestDatabase();
        var ids = await PendingAsync(db.Client, 12_000, "big");
        var worker = db.Queue.Create(new WorkerOptions { Queues = ["big"], WorkerId = "kit" });
        for (var i = 0; i < 2; i++)
        {
            foreach (var job in await worker.ClaimAsync(1000))
            {
                await worker.FailAsync(job, "no", permanent: true);
            }
        }

        (await db.Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Dead) { Queue = "big" })).Should().Be(2000);
        await AssertCountsExactAsync(db.Client, db.ConnectionString, "after the bulk retry");
        (await db.Queue.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Pending) { Queue = "big" })).Should().Be(ids.Count);
        await AssertCountsExactAsync(db.Client, db.ConnectionString, "after the bulk delete");
    }
}
