using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Core;

/// <summary>The task-manager calls: is a job active, how many are, which ones, wait for all.</summary>
public sealed class ActiveJobTests
{
    [Fact]
    public async Task Active_means_pending_or_running_and_can_be_counted_listed_and_asked_per_job()
    {
        await using var db = new TestDatabase();
        var pending = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a" });
        var delayed = await db.Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "b", Delay = TimeSpan.FromHours(1) });
        var running = await db.Client.EnqueueAsync("t", 3, new EnqueueOptions { Queue = "c" });
        var done = await db.Client.EnqueueAsync("t", 4, new EnqueueOptions { Queue = "a" });
        var worker = db.Worker(queues: ["c", "a"]);
        (await worker.ClaimAsync()).Single().Id.Should().Be(running);
        await db.Client.CancelAsync(done);

        (await db.Client.IsActiveAsync(pending)).Should().BeTrue();
        (await db.Client.IsActiveAsync(delayed)).Should().BeTrue();
        (await db.Client.IsActiveAsync(running)).Should().BeTrue();
        (await db.Client.IsActiveAsync(done)).Should().BeFalse();
        (await db.Client.IsActiveAsync(999)).Should().BeFalse();
        (await db.Client.CountActiveAsync()).Should().Be(3);
        (await db.Client.CountActiveAsync("a")).Should().Be(1);
        (await db.Client.ListActiveJobIdsAsync()).Should().Equal(pending, delayed, running);
        (await db.Client.ListActiveJobIdsAsync("c")).Should().Equal(running);
        (await db.Client.ListActiveJobIdsAsync(limit: 2)).Should().Equal(pending, delayed);
    }

    [Fact]
    public async Task Wait_until_all_idle_returns_once_every_queue_is_drained()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a" });
        await db.Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "b" });
        var idle = db.Client.WaitUntilAllIdleAsync();
        var worker = db.Worker(queues: ["a", "b"]);

        var jobs = await worker.ClaimAsync(2);
        await worker.CompleteAsync(jobs[0]);
        idle.IsCompleted.Should().BeFalse();
        await worker.CompleteAsync(jobs[1]);

        await idle.WaitAsync(Eventually.Bound);
    }

    [Fact]
    public async Task Active_queries_validate_their_input()
    {
        await using var db = new TestDatabase();

        (await FluentActions.Awaiting(() => db.Client.IsActiveAsync(0)).Should().ThrowAsync<ArgumentOutOfRangeException>()).Which.ParamName.Should().Be("jobId");
        (await FluentActions.Awaiting(() => db.Client.CountActiveAsync("")).Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("queue");
        (await FluentActions.Awaiting(() => db.Client.ListActiveJobIdsAsync(limit: 0)).Should().ThrowAsync<ArgumentOutOfRangeException>()).Which.ParamName.Should().Be("limit");
    }
}
