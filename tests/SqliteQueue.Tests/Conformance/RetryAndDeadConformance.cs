namespace SqliteQueue.Tests.Conformance;

public abstract class RetryAndDeadConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    private static readonly TimeSpan Backoff = TimeSpan.FromSeconds(20);

    protected override void Configure(SqliteQueueOptions options) => options.BackoffPolicy = new FixedBackoff(Backoff);

    [Fact]
    public async Task A_failure_with_attempts_left_puts_the_job_back_after_the_backoff()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 3 });
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        Time.Advance(TimeSpan.FromSeconds(1));

        var result = await worker.FailAsync(job, "transient");

        result.Should().Be(new FailResult(true, JobState.Pending, Now + Backoff));
        var info = await JobAsync(id);
        info.State.Should().Be(JobState.Pending);
        info.RunAt.Should().Be(Now + Backoff);
        info.Attempt.Should().Be(1);
        info.LastError.Should().Be("transient");
        info.FinishedAt.Should().BeNull();
        info.LeaseOwner.Should().BeNull();
        Time.Advance(Backoff - TimeSpan.FromMilliseconds(1));
        (await worker.ClaimAsync()).Should().BeEmpty();
        Time.Advance(TimeSpan.FromMilliseconds(1));
        (await ClaimOneAsync(worker)).Attempt.Should().Be(2);
    }

    [Fact]
    public async Task The_workers_backoff_wins_over_the_stores_default()
    {
        await Client.EnqueueAsync("t", 1);
        var worker = NewWorker(backoff: new FixedBackoff(TimeSpan.FromSeconds(7)));
        var job = await ClaimOneAsync(worker);

        (await worker.FailAsync(job, "x")).NextRunAt.Should().Be(Now + TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task The_backoff_is_asked_with_the_number_of_the_attempt_that_failed()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 5 });
        var worker = NewWorker(backoff: new LinearBackoff(TimeSpan.FromSeconds(10)));

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var job = await ClaimOneAsync(worker);
            job.Attempt.Should().Be(attempt);
            var result = await worker.FailAsync(job, $"fail {attempt}");
            result.NextRunAt.Should().Be(Now + TimeSpan.FromSeconds(10 * attempt));
            Time.Advance(TimeSpan.FromSeconds(10 * attempt));
        }

        (await JobAsync(id)).Attempt.Should().Be(3);
    }

    [Fact]
    public async Task Spending_the_last_attempt_dead_letters_the_job_and_keeps_every_error()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 2 });
        var worker = NewWorker(id: "w");

        var first = await ClaimOneAsync(worker);
        (await worker.FailAsync(first, "first error")).State.Should().Be(JobState.Pending);
        Time.Advance(Backoff);
        var second = await ClaimOneAsync(worker);
        var result = await worker.FailAsync(second, "second error\nwith a second line ü");

        result.Should().Be(new FailResult(true, JobState.Dead, null));
        var job = await JobAsync(id);
        job.State.Should().Be(JobState.Dead);
        job.FinishedAt.Should().Be(Now);
        job.LastError.Should().Be("second error\nwith a second line ü");
        (await Client.GetExecutionsAsync(id)).Select(e => (e.Attempt, e.Outcome, e.Error)).Should().Equal(
            (1, ExecutionOutcome.Failed, "first error"), (2, ExecutionOutcome.Failed, "second error\nwith a second line ü"));
        Time.Advance(TimeSpan.FromDays(1));
        (await worker.ClaimAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_permanent_failure_dead_letters_at_once_with_attempts_left()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 10 });
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);

        (await worker.FailAsync(job, "bad input", permanent: true)).Should().Be(new FailResult(true, JobState.Dead, null));

        var info = await JobAsync(id);
        info.State.Should().Be(JobState.Dead);
        info.Attempt.Should().Be(1);
        info.LastError.Should().Be("bad input");
    }

    [Fact]
    public async Task Retrying_a_dead_job_makes_it_pending_and_runnable_with_a_fresh_budget_and_its_history()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 1 });
        var worker = NewWorker();
        (await worker.FailAsync(await ClaimOneAsync(worker), "gave up")).State.Should().Be(JobState.Dead);
        Time.Advance(TimeSpan.FromMinutes(5));

        (await Client.RetryAsync(id)).Should().BeTrue();

        var job = await JobAsync(id);
        job.State.Should().Be(JobState.Pending);
        job.Attempt.Should().Be(0);
        job.RunAt.Should().Be(Now);
        job.FinishedAt.Should().BeNull();
        job.LastError.Should().Be("gave up");
        var again = await ClaimOneAsync(worker);
        again.Attempt.Should().Be(1);
        (await worker.CompleteAsync(again)).Should().BeTrue();
        (await Client.GetExecutionsAsync(id)).Select(e => e.Outcome).Should().Equal(ExecutionOutcome.Failed, ExecutionOutcome.Completed);
    }

    [Fact]
    public async Task Retry_applies_only_to_dead_and_cancelled_jobs()
    {
        var pending = await Client.EnqueueAsync("t", 1);
        var cancelled = await Client.EnqueueAsync("t", 2);
        (await Client.CancelAsync(cancelled)).Should().Be(CancelResult.Cancelled);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        (await worker.CompleteAsync(job)).Should().BeTrue();

        (await Client.RetryAsync(pending)).Should().BeFalse("a pending job is not dead");
        (await Client.RetryAsync(job.Id)).Should().BeFalse("a completed job is not retried");
        (await Client.RetryAsync(999_999)).Should().BeFalse();
        (await Client.RetryAsync(cancelled)).Should().BeTrue();

        (await JobAsync(cancelled)).State.Should().Be(JobState.Pending);
        (await JobAsync(job.Id)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task A_long_error_is_kept_in_the_history()
    {
        var error = string.Concat(Enumerable.Repeat("line ü 😀 '\"\\\n", 2000));
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();

        await worker.FailAsync(await ClaimOneAsync(worker), error);

        (await Client.GetExecutionsAsync(id)).Single().Error.Should().Be(error);
        (await JobAsync(id)).LastError.Should().Be(error);
    }
}

public sealed class RetryAndDeadConformanceOnSqliteFile : RetryAndDeadConformance<SqliteFileStore>;

public sealed class RetryAndDeadConformanceOnSqliteMemory : RetryAndDeadConformance<SqliteMemoryStore>;

public sealed class RetryAndDeadConformanceOnPostgreSql : RetryAndDeadConformance<PostgreSqlStore>;
