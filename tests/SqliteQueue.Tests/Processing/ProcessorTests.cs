using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Internal;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Processing;

public sealed class ProcessorTests
{
    private static RuntimeFixture Fixture(Behavior behavior, Action<SqliteQueueOptions>? configure = null) => new(
        q => q.AddHandler<Work, WorkHandler>("work").AddHandler<Other, OtherHandler>("other"),
        s => s.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>(),
        configure);

    [Fact]
    public async Task Handler_gets_the_payload_and_the_job_context_and_the_job_completes()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(7), new EnqueueOptions { MaxAttempts = 4, Timeout = TimeSpan.FromMinutes(1) });

        (await f.Processor().RunOnceAsync()).Should().Be(1);

        var context = behavior.Seen.Should().ContainSingle().Subject;
        context.Payload.Should().Be(new Work(7));
        context.JobId.Should().Be(id);
        context.Queue.Should().Be("default");
        context.Type.Should().Be("work");
        context.Attempt.Should().Be(1);
        context.MaxAttempts.Should().Be(4);
        context.IsLastAttempt.Should().BeFalse();
        context.EnqueuedAt.Should().Be(f.Time.GetUtcNow());
        context.Timeout.Should().Be(TimeSpan.FromMinutes(1));
        context.WorkerId.Should().Be("processor");
        (await f.JobAsync(id)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task Handler_exceptions_reach_the_retry_policy_and_the_last_one_dead_letters()
    {
        var behavior = new Behavior { Run = (_, _) => throw new InvalidOperationException("flaky") };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { MaxAttempts = 2 });
        var processor = f.Processor();

        await processor.RunOnceAsync();
        var job = await f.JobAsync(id);
        job.State.Should().Be(JobState.Pending);
        job.RunAt.Should().BeAfter(f.Time.GetUtcNow(), "the retry waits for its backoff");
        job.LastError.Should().Contain("InvalidOperationException").And.Contain("flaky");

        f.Time.Advance(TimeSpan.FromSeconds(10));
        await processor.RunOnceAsync();

        (await f.JobAsync(id)).State.Should().Be(JobState.Dead);
        behavior.Seen.Select(c => c.Attempt).Should().Equal(1, 2);
    }

    [Fact]
    public async Task A_permanent_failure_dead_letters_at_once()
    {
        var behavior = new Behavior { Run = (_, _) => throw new PermanentJobFailureException("no such customer") };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { MaxAttempts = 5 });

        await f.Processor().RunOnceAsync();

        var job = await f.JobAsync(id);
        job.State.Should().Be(JobState.Dead);
        job.Attempt.Should().Be(1);
        job.LastError.Should().Contain("no such customer");
    }

    [Fact]
    public async Task A_payload_that_does_not_fit_its_type_is_dead_lettered()
    {
        await using var f = Fixture(new Behavior());
        var id = await f.Client.EnqueueJsonAsync("work", """{"n":"not a number"}""");

        await f.Processor().RunOnceAsync();

        var job = await f.JobAsync(id);
        job.State.Should().Be(JobState.Dead);
        job.LastError.Should().Contain("does not fit Work");
    }

    [Fact]
    public async Task An_unknown_job_type_ends_dead_naming_the_type_and_the_registered_types()
    {
        await using var f = Fixture(new Behavior());
        var id = await f.Client.EnqueueAsync("mystery", new Work(1));

        await f.Processor().RunOnceAsync();

        var job = await f.JobAsync(id);
        job.State.Should().Be(JobState.Dead);
        job.LastError.Should().Be(Errors.UnknownJobType("mystery", ["other", "work"]));
        job.LastError.Should().Contain("'mystery'").And.Contain("'other', 'work'");
    }

    [Fact]
    public async Task Each_job_gets_its_own_scope_which_is_disposed_after_it()
    {
        await using var f = Fixture(new Behavior());
        await f.Client.EnqueueManyAsync("work", Enumerable.Range(0, 5).Select(i => new Work(i)));

        await f.Processor(o => o.Concurrency = 2).RunOnceAsync();

        var used = f.Provider.GetRequiredService<ProbeLog>().Used.ToList();
        used.Should().HaveCount(5);
        used.Select(u => u.Probe).Distinct().Should().HaveCount(5);
        used.Should().OnlyContain(u => u.Probe.Disposed);
    }

    [Fact]
    public async Task Never_more_handlers_run_at_once_than_the_concurrency()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => gate.Task };
        await using var f = Fixture(behavior);
        await f.Client.EnqueueManyAsync("work", Enumerable.Range(0, 20).Select(i => new Work(i)));
        var processor = f.Processor(o => o.Concurrency = 3);

        f.Start(processor);
        await Eventually.TrueAsync(() => behavior.Running == 3, "three handlers start");
        (await f.Client.GetStatsAsync()).For("default").Running.Should().Be(3, "before any job has finished, the worker claims no more than it can run");
        gate.SetResult();
        await f.Client.WaitUntilIdleAsync("default").WaitAsync(Eventually.Bound);

        behavior.MaxRunning.Should().Be(3);
        behavior.Seen.Should().HaveCount(20);
    }

    [Fact]
    public async Task The_heartbeat_keeps_a_job_longer_than_its_lease()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => gate.Task };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1));
        var lease = TimeSpan.FromSeconds(3);
        f.Start(f.Processor(o =>
        {
            o.LeaseDuration = lease;
            o.PollInterval = TimeSpan.FromHours(1);
        }));
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler starts");
        var rival = f.Queue.Create(new WorkerOptions { WorkerId = "rival" });

        // Ten leases' worth of time, one heartbeat (a third of the lease) at a time.
        for (var beat = 0; beat < 30; beat++)
        {
            await Eventually.TrueAsync(() => f.Time.HasTimerDueAt(f.Time.GetUtcNow() + lease / 3), "the heartbeat waits for its next beat");
            f.Time.Advance(lease / 3);
            var expected = f.Time.GetUtcNow() + lease;
            await Eventually.TrueAsync(async () => (await f.JobAsync(id)).LeaseExpiresAt == expected, "the heartbeat renews the lease");
            (await rival.ClaimAsync()).Should().BeEmpty();
        }

        gate.SetResult();
        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        (await f.JobAsync(id)).Attempt.Should().Be(1);
    }

    [Fact]
    public async Task Losing_the_lease_cancels_the_handlers_token_and_writes_nothing()
    {
        var behavior = new Behavior { Run = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1));
        var lease = TimeSpan.FromSeconds(3);
        f.Start(f.Processor(o => o.LeaseDuration = lease));
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler starts");

        // Another worker took the job over (as after a long pause of this process).
        using (var raw = f.Db.Raw())
        {
            using var steal = raw.CreateCommand();
            steal.CommandText = "UPDATE queue_jobs SET lease_token = 42, lease_owner = 'thief' WHERE id = $id";
            steal.Parameters.AddWithValue("$id", id);
            steal.ExecuteNonQuery().Should().Be(1);
        }

        f.Time.Advance(lease / 3);

        await Eventually.TrueAsync(() => behavior.Cancelled.Contains(id), "the handler's token fires");
        var job = await f.JobAsync(id);
        job.State.Should().Be(JobState.Running);
        job.LeaseOwner.Should().Be("thief");
        (await f.Client.GetExecutionsAsync(id)).Should().BeEmpty();
    }

    [Fact]
    public async Task A_timeout_cancels_the_token_and_fails_the_attempt()
    {
        var behavior = new Behavior { Run = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Timeout = TimeSpan.FromSeconds(5), MaxAttempts = 3 });
        f.Start(f.Processor());
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler starts");

        f.Time.Advance(TimeSpan.FromSeconds(5));

        await Eventually.TrueAsync(async () => (await f.JobAsync(id)).State == JobState.Pending, "the attempt fails");
        await Eventually.TrueAsync(() => behavior.Cancelled.Contains(id), "the handler sees its token fire");
        (await f.JobAsync(id)).LastError.Should().Be(Errors.JobTimedOut(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_handler_that_ignores_its_token_loses_its_job_at_the_timeout_but_keeps_its_slot()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => gate.Task };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Timeout = TimeSpan.FromSeconds(5), MaxAttempts = 1 });
        var processor = f.Processor(o => o.Concurrency = 1);
        f.Start(processor);
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler starts");

        f.Time.Advance(TimeSpan.FromSeconds(5));

        await Eventually.TrueAsync(async () => (await f.JobAsync(id)).State == JobState.Dead, "the job moves on without its handler");
        processor.RunningCount.Should().Be(1, "the stubborn handler still holds the only slot");
        var next = await f.Client.EnqueueAsync("work", new Work(2));
        (await f.JobAsync(next)).State.Should().Be(JobState.Pending);
        gate.SetResult();
        (await f.Client.WaitForJobAsync(next).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        (await f.JobAsync(id)).State.Should().Be(JobState.Dead, "the late return of the abandoned handler changes nothing");
    }

    [Fact]
    public async Task Cancelling_a_running_job_in_this_process_stops_its_handler_at_once()
    {
        var behavior = new Behavior { Run = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1));
        f.Start(f.Processor());
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler starts");

        (await f.Client.CancelAsync(id)).Should().Be(CancelResult.CancellationRequested);

        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Cancelled);
        await Eventually.TrueAsync(() => behavior.Cancelled.Contains(id), "the handler sees its token fire");
    }

    [Fact]
    public async Task Cancelling_from_another_process_stops_the_handler_within_one_heartbeat()
    {
        var behavior = new Behavior { Run = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1));
        var lease = TimeSpan.FromSeconds(30);
        f.Start(f.Processor(o => o.LeaseDuration = lease));
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler starts");
        var otherProcess = f.Db.Open();

        (await otherProcess.Client.CancelAsync(id)).Should().Be(CancelResult.CancellationRequested);
        behavior.Cancelled.Should().BeEmpty("the request reaches the worker at its next heartbeat");
        f.Time.Advance(lease / 3);

        await Eventually.TrueAsync(async () => (await f.JobAsync(id)).State == JobState.Cancelled, "the job ends cancelled");
        await Eventually.TrueAsync(() => behavior.Cancelled.Contains(id), "the handler sees its token fire");
    }

    [Fact]
    public async Task Shutdown_waits_for_running_jobs_then_releases_the_rest_without_spending_an_attempt()
    {
        var quickGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (job, ct) => job.Payload.N == 1 ? quickGate.Task : Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior);
        var quick = await f.Client.EnqueueAsync("work", new Work(1));
        var slow = await f.Client.EnqueueAsync("work", new Work(2));
        var processor = f.Processor(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        var (run, stop) = f.Start(processor);
        await Eventually.TrueAsync(() => behavior.Running == 2, "both handlers start");

        await stop.CancelAsync();
        quickGate.SetResult();
        await Eventually.TrueAsync(async () => (await f.JobAsync(quick)).State == JobState.Completed, "a job that finishes within the grace time completes");
        (await f.JobAsync(slow)).State.Should().Be(JobState.Running, "shutdown waits for the grace time");

        // The quick job can complete before the stopping loop reaches its grace-time wait: move the clock only once that wait is set.
        await Eventually.TrueAsync(() => f.Time.HasTimerDueAt(f.Time.GetUtcNow() + TimeSpan.FromSeconds(20)), "shutdown waits out its grace time");
        f.Time.Advance(TimeSpan.FromSeconds(20));
        await run.WaitAsync(Eventually.Bound);

        var released = await f.JobAsync(slow);
        released.State.Should().Be(JobState.Pending);
        released.Attempt.Should().Be(0, "a release spends no attempt");
        await Eventually.TrueAsync(() => behavior.Cancelled.Contains(slow), "the handler sees its token fire");
        (await f.Client.GetExecutionsAsync(slow)).Single().Outcome.Should().Be(ExecutionOutcome.Released);
    }

    [Fact]
    public async Task An_enqueue_in_this_process_wakes_an_idle_worker_at_once()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        f.Start(f.Processor(o => o.PollInterval = TimeSpan.FromHours(1)));
        await Eventually.TrueAsync(() => f.Queue.SqliteStore.ParkedClaims == 1, "the worker finds nothing and waits");

        // The manual clock never moves here: only the in-process signal can start the job.
        var id = await f.Client.EnqueueAsync("work", new Work(1));

        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task An_enqueue_by_another_process_is_noticed_at_the_next_poll()
    {
        // The poll is the backstop for when the wake-up file cannot signal (see WakeFileTests): here it is off in both stores.
        var behavior = new Behavior();
        await using var f = Fixture(behavior, o => o.CrossProcessWake = false);
        f.Start(f.Processor(o => o.PollInterval = TimeSpan.FromSeconds(1)));

        // The worker must be waiting for its next poll before the enqueue: one that reads the due time after the
        // enqueue's commit (its first claim, or the read before it waits) rightly takes the job without any poll.
        await Eventually.TrueAsync(
            () => f.Queue.SqliteStore.ParkedClaims == 1 && f.Time.HasTimerDueBy(f.Time.GetUtcNow() + TimeSpan.FromSeconds(1)),
            "the worker finds nothing and waits for its next poll");
        var otherProcess = f.Db.Open();

        var id = await otherProcess.Client.EnqueueAsync("work", new Work(1));
        behavior.Seen.Should().BeEmpty("nothing in this process signalled the enqueue");
        (await f.JobAsync(id)).State.Should().Be(JobState.Pending, "the manual clock has not reached the worker's next poll");

        // One poll interval, once: the poll sees the changed data_version. The clock moves no further, so the job's lease never runs out under it.
        f.Time.Advance(TimeSpan.FromSeconds(1));
        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task A_delayed_job_wakes_an_idle_worker_when_it_comes_due()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        f.Start(f.Processor(o => o.PollInterval = TimeSpan.FromHours(1)));
        var runAt = f.Time.GetUtcNow().AddMinutes(5);
        var id = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Delay = TimeSpan.FromMinutes(5) });

        // The clock moves once, straight to the run-at, and only when the worker waits for it: stepping past the
        // run-at while the claimed job has not started yet would also pass its 30 s lease, and the job would run twice.
        await Eventually.TrueAsync(() => f.Queue.SqliteStore.ParkedClaims == 1 && f.Time.HasTimerDueAt(runAt), "the worker waits for the job's run-at, far before its hour-long poll");
        behavior.Seen.Should().BeEmpty();
        f.Time.Advance(TimeSpan.FromMinutes(5));

        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        behavior.Seen.Should().ContainSingle();
    }

    [Fact]
    public async Task Jobs_of_a_crashed_worker_are_retaken_when_their_lease_expires()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1));
        var crashed = f.Queue.Create(new WorkerOptions { LeaseDuration = TimeSpan.FromSeconds(30) });
        var leaseEnd = (await crashed.ClaimAsync()).Should().ContainSingle().Subject.LeaseExpiresAt;
        f.Start(f.Processor(o => o.PollInterval = TimeSpan.FromHours(1)));

        // The clock moves once, straight to the expiry, and only when the worker waits for it: the rescuing worker's
        // own lease is never passed, so the job is not rescued a second time.
        await Eventually.TrueAsync(() => f.Queue.SqliteStore.ParkedClaims == 1 && f.Time.HasTimerDueAt(leaseEnd), "the idle worker waits for the lease's expiry, far before its hour-long poll");
        behavior.Seen.Should().BeEmpty();
        f.Time.Advance(leaseEnd - f.Time.GetUtcNow());

        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        (await f.JobAsync(id)).Attempt.Should().Be(2);
    }

    [Fact]
    public async Task A_handler_that_blocks_its_thread_is_still_timed_out_on_time()
    {
        using var blocked = new ManualResetEventSlim(false);
        var behavior = new Behavior
        {
            Run = (_, _) =>
            {
                blocked.Wait(CancellationToken.None);
                return Task.CompletedTask;
            },
        };
        await using var f = Fixture(behavior);
        var id = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Timeout = TimeSpan.FromSeconds(5), MaxAttempts = 1 });
        f.Start(f.Processor());
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler starts and blocks");

        f.Time.Advance(TimeSpan.FromSeconds(5));

        await Eventually.TrueAsync(async () => (await f.JobAsync(id)).State == JobState.Dead, "the timeout is noticed while the handler blocks");
        blocked.Set();
    }

    [Fact]
    public async Task Without_prefetch_a_worker_holds_no_more_jobs_than_it_runs()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (job, _) => job.Payload.N < 100 ? Task.CompletedTask : gate.Task };
        await using var f = Fixture(behavior);
        await f.Client.EnqueueManyAsync("work", Enumerable.Range(0, 200).Select(i => new Work(i)));
        var processor = f.Processor(o =>
        {
            o.Concurrency = 2;
            o.Prefetch = 0;
        });

        f.Start(processor);
        await Eventually.TrueAsync(() => behavior.Running == 2 && behavior.Seen.Count >= 102, "the fast jobs are done and two slow ones run");

        processor.HeldCount.Should().Be(2);
        (await f.Client.GetStatsAsync()).For("default").Running.Should().Be(2);
        gate.SetResult();
    }

    [Fact]
    public async Task Shutdown_gives_back_jobs_waiting_for_a_slot_at_once_and_every_job_ends_completed_or_released()
    {
        var behavior = new Behavior { Run = (job, ct) => job.Payload.N < 300 ? Task.CompletedTask : Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior);
        var ids = await f.Client.EnqueueManyAsync("work", Enumerable.Range(0, 600).Select(i => new Work(i)));
        var processor = f.Processor(o =>
        {
            o.Concurrency = 2;
            o.ShutdownTimeout = TimeSpan.Zero;
        });
        var (run, stop) = f.Start(processor);
        await Eventually.TrueAsync(() => behavior.Running == 2 && behavior.Seen.Count >= 302, "the fast jobs are done and two slow ones run");

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Bound);

        var jobs = (await Task.WhenAll(ids.Select(f.JobAsync))).ToList();
        jobs.Should().OnlyContain(j => j.State == JobState.Completed || (j.State == JobState.Pending && j.Attempt == 0));
        jobs.Count(j => j.State == JobState.Completed).Should().Be(300);
        processor.HeldCount.Should().Be(0);
    }

    [Fact]
    public async Task Cancelling_a_job_that_waits_for_a_slot_ends_it_without_running_its_handler()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (job, _) => job.Payload.N < 300 ? Task.CompletedTask : gate.Task };
        await using var f = Fixture(behavior);
        var ids = await f.Client.EnqueueManyAsync("work", Enumerable.Range(0, 600).Select(i => new Work(i)));
        var processor = f.Processor(o => o.Concurrency = 1);
        f.Start(processor);
        await Eventually.TrueAsync(() => behavior.Running == 1 && behavior.Seen.Count >= 301, "one slow job blocks the only slot");
        processor.HeldCount.Should().BeGreaterThan(1, "after hundreds of quick jobs the worker claims ahead");

        var waiting = (await f.Client.ListJobsAsync(new JobQuery { State = JobState.Running, Limit = 1000 })).Jobs
            .Select(j => j.Id).Where(id => behavior.Seen.All(c => c.JobId != id)).First();
        (await f.Client.CancelAsync(waiting)).Should().Be(CancelResult.CancellationRequested);
        gate.SetResult();

        (await f.Client.WaitForJobAsync(waiting).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Cancelled);
        behavior.Seen.Should().NotContain(c => c.JobId == waiting);
    }
}
