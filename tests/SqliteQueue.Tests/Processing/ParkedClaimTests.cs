using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Processing;

public sealed class ParkedClaimTests
{
    private static RuntimeFixture Fixture(Behavior behavior, Action<SqliteQueueOptions>? configure = null) => new(
        q => q.AddHandler<Work, WorkHandler>("work"),
        s => s.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>(),
        configure);

    // Without prefetch the claim's size is exactly the concurrency: prefetch follows the completion rate measured in real time.
    private static void OneAtATime(QueueWorkerOptions o)
    {
        o.Concurrency = 1;
        o.Prefetch = 0;
    }

    private static Task ParkedAsync(JobStore store) => Eventually.TrueAsync(() => store.ParkedClaims == 1, "the idle worker parks its claim");

    [Fact]
    public async Task An_enqueue_in_this_process_is_claimed_for_the_parked_worker_in_its_own_commit()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => gate.Task };
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor(OneAtATime));
        await ParkedAsync(store);

        Task<long> enqueued = null!;
        var commit = await CommitTogetherAsync(store, () => enqueued = f.Client.EnqueueAsync("work", new Work(1)));
        var id = await enqueued;

        commit.ParkedDuringCommit.Should().Be(0, "the enqueue's commit took the parked claim");
        commit.Jobs.Should().Equal(new Row(id, "default", JobState.Running, "processor", 1));
        var job = await f.JobAsync(id);
        job.State.Should().Be(JobState.Running, "the job is the worker's by the time the enqueue returns");
        job.LeaseOwner.Should().Be("processor");
        job.Attempt.Should().Be(1);
        await Eventually.TrueAsync(() => behavior.Running == 1, "the worker starts the handler of the job it was handed");
        var context = behavior.Seen.Should().ContainSingle().Subject;
        context.JobId.Should().Be(id);
        context.Attempt.Should().Be(1);
        context.WorkerId.Should().Be("processor");
        gate.SetResult();
        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        (await f.Client.GetExecutionsAsync(id)).Should().ContainSingle().Which.Attempt.Should().Be(1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_delayed_enqueue_leaves_the_claim_parked_and_its_job_pending_until_it_comes_due(bool byRunAt)
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor(o => o.PollInterval = TimeSpan.FromHours(1)));
        await ParkedAsync(store);
        var runAt = f.Time.GetUtcNow().AddMinutes(5);
        var options = byRunAt ? new EnqueueOptions { RunAt = runAt } : new EnqueueOptions { Delay = TimeSpan.FromMinutes(5) };

        Task<long> enqueued = null!;
        var commit = await CommitTogetherAsync(store, () => enqueued = f.Client.EnqueueAsync("work", new Work(1), options));
        var id = await enqueued;

        commit.ParkedDuringCommit.Should().Be(1, "a job that is not due yet gives the claim nothing to take");
        commit.Jobs.Should().Equal(new Row(id, "default", JobState.Pending, null, 0));

        // The clock moves once, straight to the run-at, and only when the worker waits for it: no lease is ever passed.
        await Eventually.TrueAsync(() => store.ParkedClaims == 1 && f.Time.HasTimerDueAt(runAt), "the worker waits, parked, for the job's run-at");
        behavior.Seen.Should().BeEmpty();
        (await f.JobAsync(id)).State.Should().Be(JobState.Pending);
        f.Time.Advance(TimeSpan.FromMinutes(5));
        var done = await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound);
        done.State.Should().Be(JobState.Completed);
        done.Attempt.Should().Be(1);
    }

    [Fact]
    public async Task Only_an_enqueue_on_one_of_the_workers_queues_takes_its_claim()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => gate.Task };
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor(o =>
        {
            OneAtATime(o);
            o.Queues = ["urgent", "default"];
        }));
        await ParkedAsync(store);

        // A queue the worker serves, but not its first one.
        Task<long> enqueued = null!;
        var commit = await CommitTogetherAsync(store, () => enqueued = f.Client.EnqueueJsonAsync("work", """{"n":1}""", new EnqueueOptions { Queue = "default" }));
        var served = await enqueued;

        commit.ParkedDuringCommit.Should().Be(0);
        commit.Jobs.Should().Equal(new Row(served, "default", JobState.Running, "processor", 1));
        gate.SetResult();
        (await f.Client.WaitForJobAsync(served).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        await ParkedAsync(store);

        commit = await CommitTogetherAsync(store, () => enqueued = f.Client.EnqueueJsonAsync("work", """{"n":2}""", new EnqueueOptions { Queue = "elsewhere" }));
        var elsewhere = await enqueued;

        commit.ParkedDuringCommit.Should().Be(1, "the worker does not serve the job's queue");
        commit.Jobs.Should().Equal(
            new Row(served, "default", JobState.Completed, null, 1),
            new Row(elsewhere, "elsewhere", JobState.Pending, null, 0));
        await ParkedAsync(store);
        (await f.JobAsync(elsewhere)).State.Should().Be(JobState.Pending);
        behavior.Seen.Should().ContainSingle();
    }

    [Fact]
    public async Task Without_group_commit_no_claim_rides_in_an_enqueue_but_the_woken_worker_runs_the_job()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior, o => o.GroupCommit = false);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor(o => o.PollInterval = TimeSpan.FromHours(1)));
        await ParkedAsync(store);

        Task<long> enqueued = null!;
        var commit = await CommitTogetherAsync(store, () => enqueued = f.Client.EnqueueAsync("work", new Work(1)));
        var id = await enqueued;

        commit.Jobs.Should().Equal(new Row(id, "default", JobState.Pending, null, 0));

        // The manual clock never moves: only the in-process wake-up can start the job.
        var done = await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound);
        done.State.Should().Be(JobState.Completed);
        done.Attempt.Should().Be(1);
        (await f.Client.GetExecutionsAsync(id)).Should().ContainSingle().Which.WorkerId.Should().Be("processor");
    }

    [Fact]
    public async Task A_worker_that_stops_while_parked_takes_its_claim_back()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        var (run, stop) = f.Start(f.Processor());
        await ParkedAsync(store);

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Bound);

        store.ParkedClaims.Should().Be(0);
        var id = await f.Client.EnqueueAsync("work", new Work(1));
        var job = await f.JobAsync(id);
        job.State.Should().Be(JobState.Pending, "no claim of a stopped worker may take the job");
        job.LeaseOwner.Should().BeNull();
        job.Attempt.Should().Be(0);
        behavior.Seen.Should().BeEmpty();
    }

    [Fact]
    public async Task Jobs_a_commit_claimed_for_a_worker_that_was_stopping_are_released_without_spending_an_attempt()
    {
        var behavior = new Behavior { Run = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        var (run, stop) = f.Start(f.Processor(o =>
        {
            OneAtATime(o);
            o.ShutdownTimeout = TimeSpan.Zero;
        }));
        await ParkedAsync(store);

        // The enqueue's commit is held open after it has taken the parked claim, and the worker is stopped meanwhile.
        var (blocker, releaseBlocker) = await HoldWriterAsync(store);
        var enqueued = f.Client.EnqueueAsync("work", new Work(1));
        var inCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var finishCommit = new ManualResetEventSlim(false);
        var parkedDuringCommit = store.WriteAsync(0, (s, _, _) =>
        {
            inCommit.SetResult();
            finishCommit.Wait();
            return s.ParkedClaims;
        }, CancellationToken.None);
        releaseBlocker.Set();
        await blocker;
        await inCommit.Task;
        await stop.CancelAsync();
        finishCommit.Set();

        (await parkedDuringCommit).Should().Be(0, "the commit took the claim before the worker stopped");
        var id = await enqueued;
        await run.WaitAsync(Eventually.Bound);

        var released = await f.JobAsync(id);
        released.State.Should().Be(JobState.Pending);
        released.Attempt.Should().Be(0, "a release spends no attempt");
        released.LeaseOwner.Should().BeNull();
        (await f.Client.GetExecutionsAsync(id)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Released);
        behavior.Seen.Should().BeEmpty("a job claimed as its worker stops is released, never started");

        // Nothing is lost: the next worker runs the job as its first attempt.
        behavior.Run = (_, _) => Task.CompletedTask;
        (await f.Processor(o => o.WorkerId = "successor").RunOnceAsync()).Should().Be(1);
        var done = await f.JobAsync(id);
        done.State.Should().Be(JobState.Completed);
        done.Attempt.Should().Be(1);
    }

    [Fact]
    public async Task A_failing_write_in_the_same_commit_neither_undoes_the_claim_nor_loses_its_job()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => gate.Task };
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor(OneAtATime));
        await ParkedAsync(store);

        Task<long> enqueued = null!;
        Task<long> failing = null!;
        var commit = await CommitTogetherAsync(store, () =>
        {
            enqueued = f.Client.EnqueueAsync("work", new Work(1));

            // A write that would make a job due on the worker's queue, but fails after its insert.
            failing = store.WriteAsync<int, long>(0, (s, tx, _) =>
            {
                s.Insert(tx, new JobInsert("default", "work", """{"n":2}""", 0, 0, 3, null, null), s.NowMs);
                throw new InvalidOperationException("the write fails after its insert");
            }, "default", CancellationToken.None);
        });
        var id = await enqueued;

        await failing.Invoking(t => t).Should().ThrowAsync<InvalidOperationException>().WithMessage("the write fails after its insert");
        commit.ParkedDuringCommit.Should().Be(0);
        commit.Jobs.Should().Equal(new Row(id, "default", JobState.Running, "processor", 1));
        await Eventually.TrueAsync(() => behavior.Running == 1, "the worker starts the handler of the job it was handed");
        behavior.Seen.Should().ContainSingle().Which.JobId.Should().Be(id);
        gate.SetResult();
        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task A_batch_enqueue_gives_the_parked_worker_as_many_of_its_jobs_as_the_claim_has_room_for()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => gate.Task };
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor(o =>
        {
            o.Concurrency = 2;
            o.Prefetch = 0;
        }));
        await ParkedAsync(store);

        Task<IReadOnlyList<long>> enqueued = null!;
        var commit = await CommitTogetherAsync(store, () => enqueued = f.Client.EnqueueManyAsync("work", Enumerable.Range(0, 5).Select(i => new Work(i))));
        var ids = await enqueued;

        commit.ParkedDuringCommit.Should().Be(0);
        commit.Jobs.Should().Equal(
            new Row(ids[0], "default", JobState.Running, "processor", 1),
            new Row(ids[1], "default", JobState.Running, "processor", 1),
            new Row(ids[2], "default", JobState.Pending, null, 0),
            new Row(ids[3], "default", JobState.Pending, null, 0),
            new Row(ids[4], "default", JobState.Pending, null, 0));
        await Eventually.TrueAsync(() => behavior.Running == 2, "both handed jobs start");
        (await f.Client.GetStatsAsync()).For("default").Running.Should().Be(2, "the worker claims no more until a slot frees");
        gate.SetResult();
        await f.Client.WaitUntilIdleAsync("default").WaitAsync(Eventually.Bound);
        behavior.Seen.Select(c => c.JobId).Should().BeEquivalentTo(ids);
        behavior.Seen.Should().OnlyContain(c => c.Attempt == 1);
    }

    private sealed record Row(long Id, string Queue, JobState State, string? LeaseOwner, int Attempt);

    /// <summary>What one commit did: how many claims it left parked, and the jobs as it committed them.</summary>
    private sealed record Commit(int ParkedDuringCommit, IReadOnlyList<Row> Jobs);

    /// <summary>
    /// Starts <paramref name="queueWrites"/> while the writer is held, so the writes share one commit (with group
    /// commit on), and reads the jobs in the next transaction on the writer. That read is queued during the commit,
    /// so anything the worker writes once woken comes after it: a job it shows running was claimed by the commit itself.
    /// </summary>
    private static async Task<Commit> CommitTogetherAsync(JobStore store, Action queueWrites)
    {
        var (blocker, release) = await HoldWriterAsync(store);
        var parkedDuringCommit = -1;
        Task<IReadOnlyList<Row>>? look = null;
        var probe = store.WriteAsync(0, (s, _, _) =>
        {
            // Parked claims are attached when the commit's writes are taken, before any of them runs.
            parkedDuringCommit = s.ParkedClaims;
            look = s.WriteAsync(0, static (_, tx, _) => ReadJobs(tx), CancellationToken.None);
            return 0;
        }, CancellationToken.None);
        queueWrites();
        release.Set();
        await blocker;
        await probe;
        return new Commit(parkedDuringCommit, await look!);
    }

    private static Task<(Task Blocker, ManualResetEventSlim Release)> HoldWriterAsync(JobStore store) => WriterHold.HoldAsync(store);

    private static IReadOnlyList<Row> ReadJobs(SqliteTransaction tx)
    {
        using var command = tx.Connection!.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT id, queue, state, lease_owner, attempt FROM queue_jobs ORDER BY id";
        using var reader = command.ExecuteReader();
        var rows = new List<Row>();
        while (reader.Read())
        {
            rows.Add(new Row(reader.GetInt64(0), reader.GetString(1), States.Parse(reader.GetString(2)), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt32(4)));
        }

        return rows;
    }
}
