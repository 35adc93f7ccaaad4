namespace SqliteQueue.Tests.Conformance;

public abstract class LeaseFencingConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    [Fact]
    public async Task A_job_under_a_live_lease_is_not_claimed_by_another_worker()
    {
        await Client.EnqueueAsync("t", 1);
        await ClaimOneAsync(NewWorker(id: "a"));

        Time.Advance(Lease - TimeSpan.FromMilliseconds(1));

        (await NewWorker(id: "b").ClaimAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task An_expired_lease_lets_another_worker_claim_the_job_with_the_next_attempt()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var first = await ClaimOneAsync(NewWorker(id: "a"));
        var firstStart = Now;

        Time.Advance(Lease);
        var second = await ClaimOneAsync(NewWorker(id: "b"));

        second.Id.Should().Be(id);
        second.Attempt.Should().Be(2);
        second.LeaseToken.Should().NotBe(first.LeaseToken);
        var job = await JobAsync(id);
        job.LeaseOwner.Should().Be("b");
        job.Attempt.Should().Be(2);
        job.LastError.Should().NotBeNullOrEmpty();
        var history = await Client.GetExecutionsAsync(id);
        history.Should().ContainSingle();
        history[0].Should().Match<JobExecution>(e =>
            e.Attempt == 1 && e.WorkerId == "a" && e.Outcome == ExecutionOutcome.LeaseExpired && e.StartedAt == firstStart && e.Error != null);
    }

    [Fact]
    public async Task A_stale_worker_cannot_complete_fail_renew_or_release_a_reclaimed_job()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var stale = NewWorker(id: "stale");
        var fresh = NewWorker(id: "fresh");
        var old = await ClaimOneAsync(stale);
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        var current = await ClaimOneAsync(fresh);

        (await stale.CompleteAsync(old)).Should().BeFalse();
        (await stale.FailAsync(old, "late failure")).Should().Be(new FailResult(false, JobState.Pending, null));
        (await stale.FailAsync(old, "late permanent", permanent: true)).Applied.Should().BeFalse();
        (await stale.RenewLeaseAsync(old)).Should().Be(RenewResult.LeaseLost);
        (await stale.ReleaseAsync(old)).Should().BeFalse();
        (await stale.CompleteManyAsync([old])).Should().Equal(false);

        var job = await JobAsync(id);
        job.State.Should().Be(JobState.Running);
        job.LeaseOwner.Should().Be("fresh");
        job.LeaseExpiresAt.Should().Be(current.LeaseExpiresAt);
        job.Attempt.Should().Be(2);
        job.LastError.Should().NotContain("late");
        (await fresh.CompleteAsync(current)).Should().BeTrue();
        (await Client.GetExecutionsAsync(id)).Select(e => e.Outcome).Should().Equal(ExecutionOutcome.LeaseExpired, ExecutionOutcome.Completed);
    }

    [Fact]
    public async Task Settling_twice_is_refused_the_second_time()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);

        (await worker.CompleteAsync(job)).Should().BeTrue();
        (await worker.CompleteAsync(job)).Should().BeFalse();
        (await worker.FailAsync(job, "after")).Applied.Should().BeFalse();
        (await worker.RenewLeaseAsync(job)).Should().Be(RenewResult.LeaseLost);

        (await JobAsync(id)).State.Should().Be(JobState.Completed);
        (await Client.GetExecutionsAsync(id)).Should().ContainSingle();
    }

    [Fact]
    public async Task Renew_extends_the_lease_from_now_so_the_job_outlives_its_first_lease()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var a = NewWorker(id: "a");
        var b = NewWorker(id: "b");
        var job = await ClaimOneAsync(a);

        for (var i = 0; i < 4; i++)
        {
            Time.Advance(Lease / 2);
            (await a.RenewLeaseAsync(job)).Should().Be(RenewResult.Renewed);
            job.LeaseExpiresAt.Should().Be(Now + Lease);
            (await JobAsync(id)).LeaseExpiresAt.Should().Be(Now + Lease);
            (await b.ClaimAsync()).Should().BeEmpty();
        }

        (await a.CompleteAsync(job)).Should().BeTrue();
        (await JobAsync(id)).Attempt.Should().Be(1);
    }

    [Fact]
    public async Task An_expired_lease_nobody_reclaimed_can_still_be_settled_by_its_holder()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);
        Time.Advance(Lease * 2);

        (await worker.CompleteAsync(job)).Should().BeTrue("the fence is the token, not the clock");

        (await JobAsync(id)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task Release_returns_the_job_to_pending_without_spending_an_attempt()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 1 });
        var a = NewWorker(id: "a");
        var job = await ClaimOneAsync(a);
        var start = Now;
        Time.Advance(TimeSpan.FromSeconds(1));

        (await a.ReleaseAsync(job)).Should().BeTrue();

        var released = await JobAsync(id);
        released.State.Should().Be(JobState.Pending);
        released.Attempt.Should().Be(0);
        released.RunAt.Should().Be(Now);
        released.LeaseOwner.Should().BeNull();
        released.FinishedAt.Should().BeNull();
        (await Client.GetExecutionsAsync(id)).Should().Equal(new JobExecution(id, 1, "a", start, Now, ExecutionOutcome.Released, null));
        var again = await ClaimOneAsync(NewWorker(id: "b"));
        again.Attempt.Should().Be(1, "the released attempt was given back, so a job with one attempt may still run");
    }

    [Fact]
    public async Task Release_with_a_delay_holds_the_job_back_until_then()
    {
        var id = await Client.EnqueueAsync("t", 1);
        var worker = NewWorker();
        var job = await ClaimOneAsync(worker);

        (await worker.ReleaseAsync(job, TimeSpan.FromMinutes(2))).Should().BeTrue();

        (await JobAsync(id)).RunAt.Should().Be(Now + TimeSpan.FromMinutes(2));
        Time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromMilliseconds(1));
        (await worker.ClaimAsync()).Should().BeEmpty();
        Time.Advance(TimeSpan.FromMilliseconds(1));
        (await ClaimOneAsync(worker)).Id.Should().Be(id);
    }

    [Fact]
    public async Task A_job_whose_worker_never_settles_ends_dead_after_its_attempts()
    {
        var id = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 3 });

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            (await ClaimOneAsync(NewWorker(id: $"crash-{attempt}"))).Attempt.Should().Be(attempt);
            Time.Advance(Lease);
        }

        (await NewWorker().ClaimAsync()).Should().BeEmpty();
        var job = await JobAsync(id);
        job.State.Should().Be(JobState.Dead);
        job.Attempt.Should().Be(3);
        job.FinishedAt.Should().Be(Now);
        (await Client.GetExecutionsAsync(id)).Select(e => (e.Attempt, e.WorkerId, e.Outcome)).Should().Equal(
            (1, "crash-1", ExecutionOutcome.LeaseExpired), (2, "crash-2", ExecutionOutcome.LeaseExpired), (3, "crash-3", ExecutionOutcome.LeaseExpired));
    }

    [Fact]
    public async Task A_claim_on_one_queue_rescues_expired_leases_on_every_queue()
    {
        var other = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "other" });
        await ClaimOneAsync(NewWorker(queues: ["other"]));
        Time.Advance(Lease);

        (await NewWorker(queues: [QueueNames.Default]).ClaimAsync()).Should().BeEmpty();

        var job = await JobAsync(other);
        job.State.Should().Be(JobState.Pending);
        job.LeaseOwner.Should().BeNull();
    }
}

public sealed class LeaseFencingConformanceOnSqliteFile : LeaseFencingConformance<SqliteFileStore>;

public sealed class LeaseFencingConformanceOnSqliteMemory : LeaseFencingConformance<SqliteMemoryStore>;

public sealed class LeaseFencingConformanceOnPostgreSql : LeaseFencingConformance<PostgreSqlStore>;

public sealed class LeaseFencingConformanceOnPostgreSqlPollOnly : LeaseFencingConformance<PostgreSqlPollOnlyStore>;
