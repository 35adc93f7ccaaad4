using SqliteQueue.Events;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Extensibility;

/// <summary>
/// The events the queue's own operations raise, one kind at a time, held to <see cref="JobEvent"/>'s documented contract:
/// raised after the commit by the process that made the change, in order for each job, stamped by the queue's clock.
/// </summary>
public sealed class JobEventTests
{
    private static async Task<IReadOnlyList<JobEvent>> EventsAsync(RecordingObserver observer, long jobId, params JobEventKind[] kinds)
    {
        await Eventually.TrueAsync(() => observer.Of(jobId).Count >= kinds.Length, $"job {jobId} raised {string.Join(", ", kinds)}");
        var events = observer.Of(jobId);
        events.Select(e => e.Kind).Should().Equal(kinds);
        return events;
    }

    [Fact]
    public async Task An_enqueue_raises_Enqueued_with_the_jobs_facts()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(observer), worker: false);

        var id = await q.EnqueueAsync(options: new EnqueueOptions { Queue = "mail" });

        var enqueued = (await EventsAsync(observer, id, JobEventKind.Enqueued)).Single();
        enqueued.Should().Be(new JobEvent(JobEventKind.Enqueued, id, "mail", "work", 0, q.Time.GetUtcNow()));
        enqueued.WorkerId.Should().BeNull();
        enqueued.Error.Should().BeNull();
        enqueued.NextRunAt.Should().BeNull();
    }

    [Fact]
    public async Task A_batch_enqueue_raises_Enqueued_per_job_and_a_deduplicated_enqueue_raises_nothing()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(observer), worker: false);

        var ids = await q.Client.EnqueueManyAsync("work", [new Processing.Work(1), new Processing.Work(2)]);
        var first = await q.EnqueueAsync(options: new EnqueueOptions { DeduplicationKey = "once" });
        var again = await q.EnqueueAsync(options: new EnqueueOptions { DeduplicationKey = "once" });

        again.Should().Be(first);
        foreach (var id in ids.Append(first))
        {
            await EventsAsync(observer, id, JobEventKind.Enqueued);
        }

        observer.Events.Should().HaveCount(3);
    }

    [Fact]
    public async Task A_job_that_succeeds_raises_Enqueued_Started_and_Completed_in_order()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(observer));

        var id = await q.EnqueueAsync();
        await q.FinishedAsync(id);

        var events = await EventsAsync(observer, id, JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Completed);
        events[1].Should().Be(new JobEvent(JobEventKind.Started, id, QueueNames.Default, "work", 1, q.Time.GetUtcNow()) { WorkerId = HostedQueue.WorkerId });
        events[2].Should().Be(new JobEvent(JobEventKind.Completed, id, QueueNames.Default, "work", 1, q.Time.GetUtcNow()) { WorkerId = HostedQueue.WorkerId });
    }

    [Fact]
    public async Task A_failed_attempt_that_will_be_retried_raises_Failed_with_its_error_and_next_run()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(observer));
        q.Behavior.Run = (job, _) => job.Attempt == 1 ? throw new InvalidOperationException("try again") : Task.CompletedTask;

        var id = await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 2 });
        var failed = (await EventsAsync(observer, id, JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Failed))[2];
        var pending = (await q.Client.GetJobAsync(id))!;

        failed.Attempt.Should().Be(1);
        failed.WorkerId.Should().Be(HostedQueue.WorkerId);
        failed.Error.Should().StartWith("try again");
        failed.At.Should().Be(q.Time.GetUtcNow());
        failed.NextRunAt.Should().Be(pending.RunAt);
        failed.NextRunAt.Should().BeAfter(failed.At);

        await q.RetryAsync(id, failedAttempts: 1);
        await q.FinishedAsync(id);
        var events = await EventsAsync(observer, id,
            JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Failed, JobEventKind.Started, JobEventKind.Completed);
        events[3].Attempt.Should().Be(2);
        events[4].Attempt.Should().Be(2);
    }

    [Fact]
    public async Task A_job_whose_attempts_are_spent_raises_Dead_with_its_error()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(observer));
        q.Behavior.Run = (_, _) => throw new InvalidOperationException("always fails");

        var id = await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 1 });
        await q.FinishedAsync(id);

        var dead = (await EventsAsync(observer, id, JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Dead))[2];
        dead.Attempt.Should().Be(1);
        dead.WorkerId.Should().Be(HostedQueue.WorkerId);
        dead.Error.Should().StartWith("always fails");
        dead.NextRunAt.Should().BeNull();
    }

    [Fact]
    public async Task A_permanent_failure_raises_Dead_at_once()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(observer));
        q.Behavior.Run = (_, _) => throw new PermanentJobFailureException("bad input");

        var id = await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 5 });
        await q.FinishedAsync(id);

        var dead = (await EventsAsync(observer, id, JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Dead))[2];
        dead.Error.Should().StartWith("bad input");
    }

    [Fact]
    public async Task Cancelling_a_pending_job_raises_Cancelled_without_a_worker()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(observer), worker: false);

        var id = await q.EnqueueAsync(options: new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        await q.Client.CancelAsync(id);

        var cancelled = (await EventsAsync(observer, id, JobEventKind.Enqueued, JobEventKind.Cancelled))[1];
        cancelled.Should().Be(new JobEvent(JobEventKind.Cancelled, id, QueueNames.Default, "work", 0, q.Time.GetUtcNow()));
        cancelled.WorkerId.Should().BeNull();
    }

    [Fact]
    public async Task Cancelling_a_running_job_raises_Cancelled_with_the_cancel_error()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(observer));
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        q.Behavior.Run = async (_, token) =>
        {
            running.SetResult();
            await Task.Delay(Timeout.Infinite, token);
        };

        var id = await q.EnqueueAsync();
        await running.Task.WaitAsync(Eventually.Bound);
        await q.Client.CancelAsync(id);
        await q.FinishedAsync(id);

        var cancelled = (await EventsAsync(observer, id, JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Cancelled))[2];
        cancelled.Attempt.Should().Be(1);
        cancelled.WorkerId.Should().Be(HostedQueue.WorkerId);
        cancelled.Error.Should().Be(SqliteQueue.Internal.Errors.JobCancelledWhileRunning);
    }

    [Fact]
    public async Task An_observer_that_throws_never_breaks_the_job()
    {
        var observer = new RecordingObserver();
        await using var q = await HostedQueue.StartAsync(b => b.AddObserver(new ThrowingObserver()).AddObserver(observer));

        var id = await q.EnqueueAsync();
        var job = await q.FinishedAsync(id);

        job.State.Should().Be(JobState.Completed);
        await EventsAsync(observer, id, JobEventKind.Enqueued, JobEventKind.Started, JobEventKind.Completed);
        q.Logs.WithId(2116).Should().HaveCount(3);
    }
}
