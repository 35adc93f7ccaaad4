using SqliteQueue.Events;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Diagnostics;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Storage;

/// <summary>
/// Completions written set-based (sixteen per statement) and completion writes joined in one group commit: every job
/// keeps its own fence, result, history row, count and event.
/// </summary>
public sealed class CompletionBatchTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    private static DateTimeOffset Now(TimeProvider time) => DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>Holds the writer inside a transaction until released, so the writes queued meanwhile form one group.</summary>
    private static async Task<(Task Blocker, ManualResetEventSlim Release)> BlockWriterAsync(JobStore store)
    {
        await store.InitializeAsync(CancellationToken.None);
        return await WriterHold.HoldAsync(store);
    }

    /// <summary>
    /// Claims <paramref name="count"/> jobs with worker <c>a</c>, then lets the leases of those at <paramref name="lost"/>
    /// run out (the others are renewed) and has worker <c>b</c> take them again under new tokens.
    /// </summary>
    private static async Task<(IWorker A, IWorker B, IReadOnlyList<ClaimedJob> Claimed, IReadOnlyList<ClaimedJob> Retaken)> ClaimAndLoseAsync(
        TestDatabase db, int count, int[] lost)
    {
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, count));
        var a = db.Worker(lease: Lease, id: "a");
        var b = db.Worker(lease: Lease, id: "b");
        var claimed = await a.ClaimAsync(count);
        claimed.Should().HaveCount(count);
        db.Time.Advance(Lease / 2);
        for (var i = 0; i < count; i++)
        {
            if (!lost.Contains(i))
            {
                (await a.RenewLeaseAsync(claimed[i])).Should().Be(RenewResult.Renewed);
            }
        }

        db.Time.Advance(Lease / 2 + TimeSpan.FromMilliseconds(1));
        var retaken = await b.ClaimAsync(count);
        retaken.Select(j => j.Id).Should().BeEquivalentTo(lost.Select(i => claimed[i].Id));
        return (a, b, claimed, retaken);
    }

    [Theory]
    [InlineData(20)] // sixteen in one statement, four one by one
    [InlineData(40)] // two full statements and eight more in a third
    [InlineData(5)] // below the set-based size: one statement per job
    public async Task CompleteMany_refuses_exactly_the_jobs_whose_lease_was_lost_and_completes_the_rest(int count)
    {
        await using var db = new TestDatabase();
        var lost = new[] { 0, 3, count - 1 };
        var (a, b, claimed, retaken) = await ClaimAndLoseAsync(db, count, lost);
        var events = new EventRecorder();
        using var subscription = db.Queue.Subscribe(events);
        var at = Now(db.Time);

        var applied = await a.CompleteManyAsync(claimed);

        applied.Should().Equal(Enumerable.Range(0, count).Select(i => !lost.Contains(i)));
        var kept = Enumerable.Range(0, count).Where(i => !lost.Contains(i)).Select(i => claimed[i]).ToList();
        events.Events.Should().Equal(kept.Select(j => new JobEvent(JobEventKind.Completed, j.Id, j.Queue, j.Type, 1, at) { WorkerId = "a" }));
        foreach (var job in kept)
        {
            (await db.Client.GetJobAsync(job.Id))!.State.Should().Be(JobState.Completed);
            var history = await db.Client.GetExecutionsAsync(job.Id);
            history.Should().ContainSingle().Which.Should().Match<JobExecution>(e =>
                e.Outcome == ExecutionOutcome.Completed && e.WorkerId == "a" && e.Attempt == 1 && e.FinishedAt == at);
        }

        foreach (var job in retaken)
        {
            var info = (await db.Client.GetJobAsync(job.Id))!;
            info.State.Should().Be(JobState.Running);
            info.LeaseOwner.Should().Be("b");
            (await db.Client.GetExecutionsAsync(job.Id)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.LeaseExpired);
        }

        var stats = (await db.Client.GetStatsAsync()).For("default");
        stats.Completed.Should().Be(count - lost.Length);
        stats.Running.Should().Be(lost.Length);

        // The new holder completes them: the count follows.
        (await b.CompleteManyAsync(retaken)).Should().AllSatisfy(x => x.Should().BeTrue());
        (await db.Client.GetStatsAsync()).For("default").Completed.Should().Be(count);
        using var raw = db.Raw();
        SqlCommands.Scalar(raw, "SELECT COUNT(*) FROM queue_executions WHERE outcome = 'completed';").Should().Be((long)count);
    }

    [Fact]
    public async Task A_job_named_twice_in_one_batch_is_completed_once_with_one_history_row()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 8));
        var a = db.Worker(lease: Lease, id: "a");
        var claimed = await a.ClaimAsync(8);

        var applied = await a.CompleteManyAsync([.. claimed, claimed[2]]);

        applied.Should().Equal([.. Enumerable.Repeat(true, 8), false]);
        (await db.Client.GetExecutionsAsync(claimed[2].Id)).Should().ContainSingle();
        (await db.Client.GetStatsAsync()).For("default").Completed.Should().Be(8);
    }

    [Fact]
    public async Task Completions_failures_releases_and_enqueues_in_one_group_commit_each_get_their_own_outcome()
    {
        await using var db = new TestDatabase();
        var (a, _, claimed, _) = await ClaimAndLoseAsync(db, 14, lost: [4]);
        var events = new EventRecorder();
        using var subscription = db.Queue.Subscribe(events);
        var at = Now(db.Time);
        var (blocker, release) = await BlockWriterAsync(db.Queue.SqliteStore);

        // Queued behind the blocked commit, in this order, so they are committed together.
        var one = a.CompleteAsync(claimed[0]);
        var two = a.CompleteAsync(claimed[1]);
        var failed = a.FailAsync(claimed[2], "boom");
        var many = a.CompleteManyAsync([.. claimed.Skip(3).Take(8)]); // 3..10, with 4 lost
        var released = a.ReleaseAsync(claimed[11]);
        var enqueued = db.Client.EnqueueAsync("t", 99);
        var last = a.CompleteManyAsync([claimed[12], claimed[13]]);
        release.Set();
        await blocker;

        (await one).Should().BeTrue();
        (await two).Should().BeTrue();
        (await failed).Should().Match<FailResult>(r => r.Applied && r.State == JobState.Pending);
        (await many).Should().Equal(true, false, true, true, true, true, true, true);
        (await released).Should().BeTrue();
        var newId = await enqueued;
        (await last).Should().Equal(true, true);

        var completed = new[] { 0, 1, 3, 5, 6, 7, 8, 9, 10, 12, 13 }.Select(i => claimed[i]).ToList();
        foreach (var job in completed)
        {
            (await db.Client.GetJobAsync(job.Id))!.State.Should().Be(JobState.Completed);
            (await db.Client.GetExecutionsAsync(job.Id)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Completed);
        }

        (await db.Client.GetJobAsync(claimed[2].Id))!.State.Should().Be(JobState.Pending);
        (await db.Client.GetExecutionsAsync(claimed[2].Id)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Failed);
        (await db.Client.GetJobAsync(claimed[11].Id))!.State.Should().Be(JobState.Pending);
        (await db.Client.GetExecutionsAsync(claimed[11].Id)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Released);
        (await db.Client.GetJobAsync(claimed[4].Id))!.LeaseOwner.Should().Be("b");
        (await db.Client.GetJobAsync(newId))!.State.Should().Be(JobState.Pending);
        var stats = (await db.Client.GetStatsAsync()).For("default");
        stats.Completed.Should().Be(completed.Count);
        stats.Running.Should().Be(1);

        // Each call raises its own events in its own order; calls resume in no fixed order.
        events.Events.Where(e => e.Kind == JobEventKind.Completed).Select(e => e.JobId).Should().BeEquivalentTo(completed.Select(j => j.Id));
        events.Events.Where(e => e.Kind == JobEventKind.Completed && claimed.Skip(3).Take(8).Any(j => j.Id == e.JobId))
            .Select(e => e.JobId).Should().Equal(new[] { 3, 5, 6, 7, 8, 9, 10 }.Select(i => claimed[i].Id));
        events.Events.Should().Contain(new JobEvent(JobEventKind.Completed, claimed[0].Id, "default", "t", 1, at) { WorkerId = "a" });
        events.Events.Where(e => e.Kind == JobEventKind.Failed).Select(e => e.JobId).Should().Equal(claimed[2].Id);
    }

    [Fact]
    public async Task A_completion_that_fails_in_a_joint_run_fails_alone_and_the_completions_beside_it_commit()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 10));
        var a = db.Worker(lease: Lease, id: "a");
        var claimed = await a.ClaimAsync(10);

        // A history row needs the attempt's start: with it gone, this job's completion breaks its statement.
        using (var raw = db.Raw())
        {
            SqlCommands.Execute(raw, $"UPDATE queue_jobs SET started_at = NULL WHERE id = {claimed[1].Id};");
        }

        var (blocker, release) = await BlockWriterAsync(db.Queue.SqliteStore);
        var first = a.CompleteAsync(claimed[0]);
        var broken = a.CompleteAsync(claimed[1]);
        var rest = a.CompleteManyAsync([.. claimed.Skip(2)]);
        release.Set();
        await blocker;

        (await first).Should().BeTrue();
        await broken.Invoking(t => t).Should().ThrowAsync<SqliteQueueException>();
        (await rest).Should().AllSatisfy(x => x.Should().BeTrue());
        (await db.Client.GetJobAsync(claimed[1].Id))!.State.Should().Be(JobState.Running);
        (await db.Client.GetExecutionsAsync(claimed[1].Id)).Should().BeEmpty();
        (await db.Client.GetStatsAsync()).For("default").Completed.Should().Be(9);
        using var check = db.Raw();
        SqlCommands.Scalar(check, "SELECT COUNT(*) FROM queue_executions;").Should().Be(9L);
    }
}
