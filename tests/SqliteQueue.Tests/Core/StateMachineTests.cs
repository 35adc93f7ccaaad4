using SqliteQueue.Retry;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Core;

public sealed class StateMachineTests
{
    private static readonly IBackoffPolicy TenSeconds = new FixedBackoff(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Enqueued_job_is_pending_with_no_attempts()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", new { N = 1 });

        var job = await db.Client.GetJobAsync(id);

        job!.State.Should().Be(JobState.Pending);
        job.Attempt.Should().Be(0);
        job.MaxAttempts.Should().Be(5);
        job.Queue.Should().Be("default");
        job.CreatedAt.Should().Be(db.Time.GetUtcNow());
        job.RunAt.Should().Be(db.Time.GetUtcNow());
        job.PayloadJson.Should().Be("""{"n":1}""");
    }

    [Fact]
    public async Task Claim_makes_the_job_running_under_a_lease_and_counts_the_attempt()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var worker = db.Worker(lease: TimeSpan.FromSeconds(30), id: "w1");

        var claimed = (await worker.ClaimAsync()).Single();
        var job = await db.Client.GetJobAsync(id);

        claimed.Attempt.Should().Be(1);
        claimed.LeaseExpiresAt.Should().Be(db.Time.GetUtcNow() + TimeSpan.FromSeconds(30));
        job!.State.Should().Be(JobState.Running);
        job.Attempt.Should().Be(1);
        job.LeaseOwner.Should().Be("w1");
        job.LeaseExpiresAt.Should().Be(claimed.LeaseExpiresAt);
        job.StartedAt.Should().Be(db.Time.GetUtcNow());
    }

    [Fact]
    public async Task Complete_finishes_the_job_and_records_the_execution()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var worker = db.Worker(id: "w1");
        var claimed = (await worker.ClaimAsync()).Single();
        db.Time.Advance(TimeSpan.FromSeconds(2));

        (await worker.CompleteAsync(claimed)).Should().BeTrue();

        var job = await db.Client.GetJobAsync(id);
        job!.State.Should().Be(JobState.Completed);
        job.FinishedAt.Should().Be(db.Time.GetUtcNow());
        job.LeaseOwner.Should().BeNull();
        var execution = (await db.Client.GetExecutionsAsync(id)).Should().ContainSingle().Subject;
        execution.Should().Be(new JobExecution(id, 1, "w1", db.Time.GetUtcNow() - TimeSpan.FromSeconds(2), db.Time.GetUtcNow(), ExecutionOutcome.Completed, null));
    }

    [Fact]
    public async Task Fail_with_attempts_left_schedules_a_retry_after_the_backoff()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 3 });
        var worker = db.Queue.Create(new WorkerOptions { BackoffPolicy = TenSeconds });
        var claimed = (await worker.ClaimAsync()).Single();

        var result = await worker.FailAsync(claimed, "boom");

        result.Should().Be(new FailResult(true, JobState.Pending, db.Time.GetUtcNow() + TimeSpan.FromSeconds(10)));
        var job = await db.Client.GetJobAsync(id);
        job!.State.Should().Be(JobState.Pending);
        job.LastError.Should().Be("boom");
        job.RunAt.Should().Be(result.NextRunAt!.Value);
        (await worker.ClaimAsync()).Should().BeEmpty("the retry is not due yet");

        db.Time.Advance(TimeSpan.FromSeconds(10));
        var retried = (await worker.ClaimAsync()).Single();
        retried.Attempt.Should().Be(2);
    }

    [Fact]
    public async Task Fail_on_the_last_attempt_dead_letters_the_job()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 2 });
        var worker = db.Queue.Create(new WorkerOptions { BackoffPolicy = TenSeconds });

        await worker.FailAsync((await worker.ClaimAsync()).Single(), "first");
        db.Time.Advance(TimeSpan.FromSeconds(10));
        var result = await worker.FailAsync((await worker.ClaimAsync()).Single(), "second");

        result.Should().Be(new FailResult(true, JobState.Dead, null));
        var job = await db.Client.GetJobAsync(id);
        job!.State.Should().Be(JobState.Dead);
        job.LastError.Should().Be("second");
        job.FinishedAt.Should().Be(db.Time.GetUtcNow());
        (await db.Client.GetExecutionsAsync(id)).Select(e => (e.Attempt, e.Outcome, e.Error)).Should().Equal(
            (1, ExecutionOutcome.Failed, "first"), (2, ExecutionOutcome.Failed, "second"));
    }

    [Fact]
    public async Task Permanent_failure_dead_letters_at_once()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 10 });
        var worker = db.Worker();

        var result = await worker.FailAsync((await worker.ClaimAsync()).Single(), "bad input", permanent: true);

        result.State.Should().Be(JobState.Dead);
        (await db.Client.GetJobAsync(id))!.Attempt.Should().Be(1);
    }

    [Fact]
    public async Task Release_gives_the_job_back_without_spending_the_attempt()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 1 });
        var worker = db.Worker();

        (await worker.ReleaseAsync((await worker.ClaimAsync()).Single())).Should().BeTrue();

        var job = await db.Client.GetJobAsync(id);
        job!.State.Should().Be(JobState.Pending);
        job.Attempt.Should().Be(0);
        var again = (await worker.ClaimAsync()).Single();
        again.Attempt.Should().Be(1, "a released attempt is not counted");
        (await db.Client.GetExecutionsAsync(id)).Single().Outcome.Should().Be(ExecutionOutcome.Released);
    }

    [Fact]
    public async Task Release_with_delay_keeps_the_job_back_until_then()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueAsync("t", 1);
        var worker = db.Worker();

        await worker.ReleaseAsync((await worker.ClaimAsync()).Single(), TimeSpan.FromMinutes(1));

        (await worker.ClaimAsync()).Should().BeEmpty();
        db.Time.Advance(TimeSpan.FromMinutes(1));
        (await worker.ClaimAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task Cancel_of_a_pending_job_cancels_it_at_once()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);

        (await db.Client.CancelAsync(id)).Should().Be(CancelResult.Cancelled);

        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Cancelled);
        (await db.Worker().ClaimAsync()).Should().BeEmpty();
        (await db.Client.CancelAsync(id)).Should().Be(CancelResult.AlreadyFinished);
        (await db.Client.CancelAsync(id + 100)).Should().Be(CancelResult.NotFound);
    }

    [Fact]
    public async Task Cancel_of_a_running_job_is_requested_and_seen_by_renew_and_settles_cancelled()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var worker = db.Worker();
        var claimed = (await worker.ClaimAsync()).Single();

        (await db.Client.CancelAsync(id)).Should().Be(CancelResult.CancellationRequested);

        (await db.Client.GetJobAsync(id))!.CancellationRequested.Should().BeTrue();
        (await worker.RenewLeaseAsync(claimed)).Should().Be(RenewResult.CancellationRequested);
        var result = await worker.FailAsync(claimed, "stopped");
        result.State.Should().Be(JobState.Cancelled);
        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Cancelled);
    }

    [Fact]
    public async Task Released_job_whose_cancel_was_requested_ends_cancelled()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var worker = db.Worker();
        var claimed = (await worker.ClaimAsync()).Single();
        await db.Client.CancelAsync(id);

        (await worker.ReleaseAsync(claimed)).Should().BeTrue();

        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Cancelled);
    }

    [Fact]
    public async Task Retry_puts_a_dead_job_back_with_a_fresh_attempt_budget_and_keeps_history()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 1 });
        var worker = db.Worker();
        await worker.FailAsync((await worker.ClaimAsync()).Single(), "boom");
        db.Time.Advance(TimeSpan.FromHours(1));

        (await db.Client.RetryAsync(id)).Should().BeTrue();

        var job = await db.Client.GetJobAsync(id);
        job!.State.Should().Be(JobState.Pending);
        job.Attempt.Should().Be(0);
        job.RunAt.Should().Be(db.Time.GetUtcNow());
        job.FinishedAt.Should().BeNull();
        (await worker.ClaimAsync()).Single().Attempt.Should().Be(1);
        (await db.Client.GetExecutionsAsync(id)).Should().ContainSingle();
    }

    [Fact]
    public async Task Retry_of_a_cancelled_job_works_and_of_other_states_does_nothing()
    {
        await using var db = new TestDatabase();
        var cancelled = await db.Client.EnqueueAsync("t", 1);
        await db.Client.CancelAsync(cancelled);
        var pending = await db.Client.EnqueueAsync("t", 2);

        (await db.Client.RetryAsync(cancelled)).Should().BeTrue();
        (await db.Client.RetryAsync(pending)).Should().BeFalse();
        (await db.Client.RetryAsync(999)).Should().BeFalse();
    }

    [Fact]
    public async Task Retry_is_refused_when_a_live_job_holds_the_same_deduplication_key()
    {
        await using var db = new TestDatabase();
        var first = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { DeduplicationKey = "k" });
        await db.Client.CancelAsync(first);
        var second = await db.Client.EnqueueAsync("t", 2, new EnqueueOptions { DeduplicationKey = "k" });

        var act = () => db.Client.RetryAsync(first);

        (await act.Should().ThrowAsync<SqliteQueueException>()).WithMessage(Internal.Errors.DuplicateOnRetry(first, second));
        (await db.Client.GetJobAsync(first))!.State.Should().Be(JobState.Cancelled);
    }

    private sealed class FixedBackoff(TimeSpan delay) : IBackoffPolicy
    {
        public TimeSpan NextDelay(int attempt) => delay;
    }
}
