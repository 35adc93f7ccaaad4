using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteQueue.Events;
using SqliteQueue.Internal;
using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Processing;

namespace SqliteQueue.Tests.Diagnostics;

/// <summary>Each lifecycle event, raised once, after its commit, with the fields its kind carries.</summary>
public sealed class JobEventTests
{
    private static DateTimeOffset Now(TimeProvider time) => DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());

    [Fact]
    public async Task New_jobs_raise_enqueued_once_and_a_deduplicated_enqueue_raises_nothing()
    {
        await using var db = new TestDatabase();
        var events = new EventRecorder();
        using var subscription = db.Queue.Subscribe(events);
        var at = Now(db.Time);

        var first = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a", DeduplicationKey = "k" });
        (await db.Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "a", DeduplicationKey = "k" })).Should().Be(first);
        var batch = await db.Client.EnqueueManyAsync(
        [
            new NewJob("u", "{}", new EnqueueOptions { Queue = "a", DeduplicationKey = "k" }),
            new NewJob("v", "{}", new EnqueueOptions { Queue = "b" }),
        ]);
        var sixteen = await db.Client.EnqueueManyAsync("w", Enumerable.Range(0, 17));

        batch[0].Should().Be(first);
        events.Events.Should().Equal(
        [
            new JobEvent(JobEventKind.Enqueued, first, "a", "t", 0, at),
            new JobEvent(JobEventKind.Enqueued, batch[1], "b", "v", 0, at),
            .. sixteen.Select(id => new JobEvent(JobEventKind.Enqueued, id, "default", "w", 0, at)),
        ]);
    }

    [Fact]
    public async Task A_worker_by_hand_raises_started_completed_failed_and_dead_with_its_id_the_error_and_the_next_run()
    {
        await using var db = new TestDatabase();
        var events = new EventRecorder();
        using var subscription = db.Queue.Subscribe(events);
        var done = await db.Client.EnqueueAsync("t", 1);
        var failing = await db.Client.EnqueueAsync("t", 2, new EnqueueOptions { MaxAttempts = 2 });
        var worker = db.Worker(id: "w1");
        var claimed = await worker.ClaimAsync(2);
        var at = Now(db.Time);

        (await worker.CompleteAsync(claimed[0])).Should().BeTrue();
        var retry = await worker.FailAsync(claimed[1], "boom");
        db.Time.Advance(retry.NextRunAt!.Value - db.Time.GetUtcNow());
        var again = (await worker.ClaimAsync()).Single();
        (await worker.FailAsync(again, "boom again")).State.Should().Be(JobState.Dead);
        var later = Now(db.Time);

        events.For(done).Should().Equal(
            new JobEvent(JobEventKind.Enqueued, done, "default", "t", 0, at),
            new JobEvent(JobEventKind.Started, done, "default", "t", 1, at) { WorkerId = "w1" },
            new JobEvent(JobEventKind.Completed, done, "default", "t", 1, at) { WorkerId = "w1" });
        events.For(failing).Should().Equal(
            new JobEvent(JobEventKind.Enqueued, failing, "default", "t", 0, at),
            new JobEvent(JobEventKind.Started, failing, "default", "t", 1, at) { WorkerId = "w1" },
            new JobEvent(JobEventKind.Failed, failing, "default", "t", 1, at) { WorkerId = "w1", Error = "boom", NextRunAt = retry.NextRunAt },
            new JobEvent(JobEventKind.Started, failing, "default", "t", 2, later) { WorkerId = "w1" },
            new JobEvent(JobEventKind.Dead, failing, "default", "t", 2, later) { WorkerId = "w1", Error = "boom again" });
    }

    [Fact]
    public async Task Completing_many_raises_completed_for_each_job_whose_lease_held()
    {
        await using var db = new TestDatabase();
        var events = new EventRecorder();
        await db.Client.EnqueueManyAsync("t", [1, 2]);
        var worker = db.Worker(id: "w1");
        var claimed = await worker.ClaimAsync(2);
        using var subscription = db.Queue.Subscribe(events);

        (await worker.CompleteManyAsync([claimed[0], claimed[0], claimed[1]])).Should().Equal(true, false, true);

        events.Events.Select(e => (e.Kind, e.JobId, e.WorkerId)).Should().Equal(
            (JobEventKind.Completed, claimed[0].Id, "w1"), (JobEventKind.Completed, claimed[1].Id, "w1"));
    }

    [Fact]
    public async Task A_held_job_raises_started_when_its_attempt_is_counted_not_when_it_is_claimed()
    {
        await using var db = new TestDatabase();
        var events = new EventRecorder();
        await db.Client.EnqueueManyAsync("t", [1, 2]);
        var worker = (Worker)db.Worker(id: "w1");
        using var subscription = db.Queue.Subscribe(events);

        var claimed = await worker.ClaimAsync(2, startCount: 1, CancellationToken.None);
        events.Events.Should().ContainSingle().Which.Should().Be(
            new JobEvent(JobEventKind.Started, claimed[0].Id, "default", "t", 1, Now(db.Time)) { WorkerId = "w1" });

        db.Time.Advance(TimeSpan.FromSeconds(2));
        await worker.CompleteAndStartAsync([claimed[0]], [claimed[1]]);

        events.Events.Skip(1).Should().Equal(
            new JobEvent(JobEventKind.Completed, claimed[0].Id, "default", "t", 1, Now(db.Time)) { WorkerId = "w1" },
            new JobEvent(JobEventKind.Started, claimed[1].Id, "default", "t", 1, Now(db.Time)) { WorkerId = "w1" });
    }

    [Fact]
    public async Task Cancelling_a_pending_job_raises_cancelled_and_logs_1005_while_a_running_one_ends_cancelled_by_its_worker()
    {
        var logs = new LogCapture();
        await using var db = new TestDatabase();
        await using var queue = new SqliteJobQueue(db.Options(), db.Time, logs);
        var events = new EventRecorder();
        using var subscription = queue.Subscribe(events);
        var pending = await queue.Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "a", Delay = TimeSpan.FromHours(1) });
        var running = await queue.Client.EnqueueAsync("t", 2, new EnqueueOptions { Queue = "a" });
        var worker = queue.Create(new WorkerOptions { WorkerId = "w1", Queues = ["a"] });
        var job = (await worker.ClaimAsync()).Single();
        events.Events.Clear();
        var at = Now(db.Time);

        (await queue.Client.CancelAsync(pending)).Should().Be(CancelResult.Cancelled);
        (await queue.Client.CancelAsync(running)).Should().Be(CancelResult.CancellationRequested);
        (await worker.FailAsync(job, "stopped as asked")).State.Should().Be(JobState.Cancelled);

        events.Events.Should().Equal(
            new JobEvent(JobEventKind.Cancelled, pending, "a", "t", 0, at),
            new JobEvent(JobEventKind.Cancelled, running, "a", "t", 1, at) { WorkerId = "w1", Error = "stopped as asked" });
        var cancelled = logs.WithId(1005).Should().ContainSingle().Subject;
        cancelled.Level.Should().Be(LogLevel.Information);
        cancelled.Message.Should().Be($"Job {pending} (t) on queue a was cancelled before it ran, as the client asked");
        logs.WithId(1007).Should().ContainSingle().Which.Level.Should().Be(LogLevel.Information);
    }

    [Fact]
    public async Task A_retry_by_hand_is_logged_as_1008_at_information()
    {
        var logs = new LogCapture();
        await using var db = new TestDatabase();
        await using var queue = new SqliteJobQueue(db.Options(), db.Time, logs);
        var id = await queue.Client.EnqueueAsync("t", 1, new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        await queue.Client.CancelAsync(id);

        (await queue.Client.RetryAsync(id)).Should().BeTrue();

        var entry = logs.WithId(1008).Should().ContainSingle().Subject;
        entry.Level.Should().Be(LogLevel.Information);
        entry.Message.Should().Be($"Job {id} was made pending again by hand, with its attempts reset");
    }

    [Fact]
    public async Task The_hosted_runtime_raises_started_then_the_outcome_once_each()
    {
        var behavior = new Behavior { Run = (job, _) => job.Payload.N == 2 ? throw new InvalidOperationException("no") : Task.CompletedTask };
        await using var f = new RuntimeFixture(
            q => q.AddHandler<Work, WorkHandler>("work"),
            s => s.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>());
        var events = new EventRecorder();
        using var subscription = f.Queue.Subscribe(events);
        var ok = await f.Client.EnqueueAsync("work", new Work(1));
        var bad = await f.Client.EnqueueAsync("work", new Work(2));

        await f.Processor(o => o.Concurrency = 1).RunOnceAsync();

        events.For(ok).Select(e => (e.Kind, e.Attempt, e.WorkerId)).Should().Equal(
            (JobEventKind.Enqueued, 0, null), (JobEventKind.Started, 1, "processor"), (JobEventKind.Completed, 1, "processor"));
        events.For(bad).Select(e => (e.Kind, e.Attempt, e.WorkerId)).Should().Equal(
            (JobEventKind.Enqueued, 0, null), (JobEventKind.Started, 1, "processor"), (JobEventKind.Failed, 1, "processor"));
        var failed = events.For(bad)[^1];
        failed.Error.Should().StartWith("no\n\nSystem.InvalidOperationException: no");
        var job = await f.JobAsync(bad);
        failed.NextRunAt.Should().Be(job.RunAt, "the event says when the job runs again");
        job.State.Should().Be(JobState.Pending);
    }

    [Fact]
    public async Task Jobs_a_recurring_schedule_fires_or_is_triggered_for_raise_enqueued()
    {
        await using var kit = new SqliteQueue.Tests.Recurring.RecurringKit();
        var events = new EventRecorder();
        using var subscription = kit.Queue.Subscribe(events);
        await kit.Recurring.UpsertAsync(new RecurringJobDefinition("tick", "work", "every 1 minute") { Queue = "cron" });

        await kit.TickAtAsync(kit.Now + TimeSpan.FromMinutes(1));
        var fired = kit.Jobs("tick").Single().Id;
        var triggered = (await kit.Recurring.TriggerAsync("tick", ignoreOverlap: true))!.Value;

        events.Events.Should().Equal(
            new JobEvent(JobEventKind.Enqueued, fired, "cron", "work", 0, Now(kit.Time)),
            new JobEvent(JobEventKind.Enqueued, triggered, "cron", "work", 0, Now(kit.Time)));
    }
}
