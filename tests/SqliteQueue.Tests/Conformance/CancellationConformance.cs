using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Conformance;

public abstract class CancellationConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    [Fact]
    public async Task Cancelling_a_pending_job_cancels_it_at_once()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var delayed = await Client.EnqueueAsync("t", 2, new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        Time.Advance(TimeSpan.FromSeconds(3));

        (await Client.CancelAsync(id)).Should().Be(CancelResult.Cancelled);
        (await Client.CancelAsync(delayed)).Should().Be(CancelResult.Cancelled);

        var job = await JobAsync(id);
        job.State.Should().Be(JobState.Cancelled);
        job.FinishedAt.Should().Be(Now);
        (await JobAsync(delayed)).State.Should().Be(JobState.Cancelled);
        Time.Advance(TimeSpan.FromHours(2));
        (await NewWorker().ClaimAsync(10)).Should().BeEmpty();
        (await Client.IsActiveAsync(id)).Should().BeFalse();
    }

    [Fact]
    public async Task Cancelling_a_running_job_only_requests_it_and_the_worker_learns_of_it_from_renew()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        (await worker.RenewLeaseAsync(job)).Should().Be(RenewResult.Renewed);

        (await Client.CancelAsync(id)).Should().Be(CancelResult.CancellationRequested);

        var info = await JobAsync(id);
        info.State.Should().Be(JobState.Running);
        info.CancellationRequested.Should().BeTrue();
        Time.Advance(TimeSpan.FromSeconds(5));
        (await worker.RenewLeaseAsync(job)).Should().Be(RenewResult.CancellationRequested);
        job.LeaseExpiresAt.Should().Be(Now + Lease, "a renewal that reports the request still extends the lease");
        (await Client.CancelAsync(id)).Should().Be(CancelResult.CancellationRequested, "asking again changes nothing");
    }

    [Fact]
    public async Task A_failure_after_a_cancel_request_ends_cancelled_even_with_attempts_left()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 5 });
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        await Client.CancelAsync(id);

        var result = await worker.FailAsync(job, "stopped");

        result.Applied.Should().BeTrue();
        result.State.Should().Be(JobState.Cancelled);
        result.NextRunAt.Should().BeNull();
        var info = await JobAsync(id);
        info.State.Should().Be(JobState.Cancelled);
        info.FinishedAt.Should().Be(Now);
        info.LastError.Should().Be("stopped");
    }

    [Fact]
    public async Task A_permanent_failure_after_a_cancel_request_ends_cancelled_not_dead()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        await Client.CancelAsync(id);

        (await worker.FailAsync(job, "x", permanent: true)).State.Should().Be(JobState.Cancelled);
    }

    [Fact]
    public async Task A_release_after_a_cancel_request_ends_cancelled()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        await Client.CancelAsync(id);

        (await worker.ReleaseAsync(job)).Should().BeTrue();

        (await JobAsync(id)).State.Should().Be(JobState.Cancelled);
        (await worker.ClaimAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_completion_after_a_cancel_request_still_completes_the_job()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        await Client.CancelAsync(id);

        (await worker.CompleteAsync(job)).Should().BeTrue();

        (await JobAsync(id)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task A_cancel_requested_job_whose_lease_expires_ends_cancelled_at_the_next_claim()
    {
        var id = await Client.EnqueueAsync("t", 1);
        await ClaimOneAsync(NewWorker());
        await Client.CancelAsync(id);
        Time.Advance(Lease);

        (await NewWorker().ClaimAsync()).Should().BeEmpty();

        (await JobAsync(id)).State.Should().Be(JobState.Cancelled);
    }

    [Fact]
    public async Task Cancelling_a_finished_job_or_a_missing_one_changes_nothing()
    {
        var worker = NewWorker();
        var completed = await Client.EnqueueAsync("t", 1);
        await worker.CompleteAsync(await ClaimOneAsync(worker));
        var dead = await Client.EnqueueAsync("t", 2);
        await worker.FailAsync(await ClaimOneAsync(worker), "x", permanent: true);
        var cancelled = await Client.EnqueueAsync("t", 3);
        await Client.CancelAsync(cancelled);

        (await Client.CancelAsync(completed)).Should().Be(CancelResult.AlreadyFinished);
        (await Client.CancelAsync(dead)).Should().Be(CancelResult.AlreadyFinished);
        (await Client.CancelAsync(cancelled)).Should().Be(CancelResult.AlreadyFinished);
        (await Client.CancelAsync(123_456)).Should().Be(CancelResult.NotFound);

        (await JobAsync(completed)).State.Should().Be(JobState.Completed);
        (await JobAsync(dead)).State.Should().Be(JobState.Dead);
        (await JobAsync(completed)).CancellationRequested.Should().BeFalse();
    }

    [Fact]
    public async Task Retry_clears_the_cancel_request()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        await Client.CancelAsync(id);
        await worker.FailAsync(job, "stopped");

        (await Client.RetryAsync(id)).Should().BeTrue();

        var info = await JobAsync(id);
        info.State.Should().Be(JobState.Pending);
        info.CancellationRequested.Should().BeFalse();
        var again = await ClaimOneAsync(worker);
        (await worker.RenewLeaseAsync(again)).Should().Be(RenewResult.Renewed);
    }

    [Fact]
    public async Task A_hosted_handler_sees_its_token_fire_when_its_running_job_is_cancelled()
    {
        var probe = new HostProbe { Run = (_, token) => Task.Delay(Timeout.Infinite, token) };
        await using var host = await StartHostAsync(probe);
        var id = await host.Client.EnqueueAsync(ConformanceHandler.JobType, new ConformanceWork(1));
        await Eventually.TrueAsync(() => probe.Started.Any(s => s.JobId == id), "the handler started");

        (await host.Client.CancelAsync(id)).Should().Be(CancelResult.CancellationRequested);

        await Eventually.TrueAsync(() => probe.TokenFired.Contains(id), "the handler's token fired");
        var finished = await host.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound);
        finished.State.Should().Be(JobState.Cancelled);
    }
}

public sealed class CancellationConformanceOnSqliteFile : CancellationConformance<SqliteFileStore>;

public sealed class CancellationConformanceOnSqliteMemory : CancellationConformance<SqliteMemoryStore>;

public sealed class CancellationConformanceOnPostgreSql : CancellationConformance<PostgreSqlStore>;
