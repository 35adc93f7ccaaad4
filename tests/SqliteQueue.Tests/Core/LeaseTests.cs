using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Core;

public sealed class LeaseTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_job_under_a_live_lease_is_not_claimed_again()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueAsync("t", 1);
        var a = db.Worker(lease: Lease, id: "a");
        var b = db.Worker(lease: Lease, id: "b");

        (await a.ClaimAsync()).Should().ContainSingle();
        db.Time.Advance(Lease - TimeSpan.FromMilliseconds(1));

        (await b.ClaimAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task An_expired_lease_makes_the_job_claimable_again_with_a_new_token()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var a = db.Worker(lease: Lease, id: "a");
        var b = db.Worker(lease: Lease, id: "b");
        var first = (await a.ClaimAsync()).Single();

        db.Time.Advance(Lease);
        var second = (await b.ClaimAsync()).Single();

        second.Id.Should().Be(id);
        second.Attempt.Should().Be(2);
        second.LeaseToken.Should().NotBe(first.LeaseToken);
        var history = await db.Client.GetExecutionsAsync(id);
        history.Should().ContainSingle().Which.Should().Match<JobExecution>(e => e.Outcome == ExecutionOutcome.LeaseExpired && e.WorkerId == "a" && e.Attempt == 1);
    }

    [Fact]
    public async Task A_stale_worker_cannot_complete_fail_renew_or_release_a_reclaimed_job()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var stale = db.Worker(lease: Lease, id: "stale");
        var fresh = db.Worker(lease: Lease, id: "fresh");
        var old = (await stale.ClaimAsync()).Single();
        db.Time.Advance(Lease + TimeSpan.FromSeconds(1));
        var current = (await fresh.ClaimAsync()).Single();

        (await stale.CompleteAsync(old)).Should().BeFalse();
        (await stale.FailAsync(old, "late")).Applied.Should().BeFalse();
        (await stale.RenewLeaseAsync(old)).Should().Be(RenewResult.LeaseLost);
        (await stale.ReleaseAsync(old)).Should().BeFalse();

        var job = await db.Client.GetJobAsync(id);
        job!.State.Should().Be(JobState.Running);
        job.LeaseOwner.Should().Be("fresh");
        job.LastError.Should().NotBe("late");
        job.LeaseExpiresAt.Should().Be(current.LeaseExpiresAt);
        (await fresh.CompleteAsync(current)).Should().BeTrue();
        (await db.Client.GetExecutionsAsync(id)).Select(e => e.Outcome).Should().Equal(ExecutionOutcome.LeaseExpired, ExecutionOutcome.Completed);
    }

    [Fact]
    public async Task Settling_twice_is_refused_the_second_time()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueAsync("t", 1);
        var worker = db.Worker();
        var job = (await worker.ClaimAsync()).Single();

        (await worker.CompleteAsync(job)).Should().BeTrue();
        (await worker.CompleteAsync(job)).Should().BeFalse();
    }

    [Fact]
    public async Task Renew_extends_the_lease_so_the_job_outlives_its_first_lease()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var a = db.Worker(lease: Lease, id: "a");
        var b = db.Worker(lease: Lease, id: "b");
        var job = (await a.ClaimAsync()).Single();

        for (var i = 0; i < 5; i++)
        {
            db.Time.Advance(Lease / 2);
            (await a.RenewLeaseAsync(job)).Should().Be(RenewResult.Renewed);
            job.LeaseExpiresAt.Should().Be(db.Time.GetUtcNow() + Lease);
            (await b.ClaimAsync()).Should().BeEmpty();
        }

        (await a.CompleteAsync(job)).Should().BeTrue();
        (await db.Client.GetJobAsync(id))!.Attempt.Should().Be(1);
    }

    [Fact]
    public async Task A_poison_job_that_is_never_finished_ends_dead_after_max_attempts()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 3 });

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            // Each worker "crashes": it claims and never settles.
            var crashed = db.Worker(lease: Lease, id: $"crash-{attempt}");
            (await crashed.ClaimAsync()).Single().Attempt.Should().Be(attempt);
            db.Time.Advance(Lease);
        }

        (await db.Worker(lease: Lease).ClaimAsync()).Should().BeEmpty();
        var job = await db.Client.GetJobAsync(id);
        job!.State.Should().Be(JobState.Dead);
        job.Attempt.Should().Be(3);
        job.LastError.Should().Contain("lease expired");
        (await db.Client.GetExecutionsAsync(id)).Should().HaveCount(3).And.OnlyContain(e => e.Outcome == ExecutionOutcome.LeaseExpired);
    }

    [Fact]
    public async Task A_running_job_whose_cancel_was_requested_ends_cancelled_when_its_lease_expires()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        await db.Worker(lease: Lease).ClaimAsync();
        await db.Client.CancelAsync(id);

        db.Time.Advance(Lease);
        (await db.Worker(lease: Lease).ClaimAsync()).Should().BeEmpty();

        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Cancelled);
    }

    [Fact]
    public async Task A_lease_that_expired_but_was_not_reclaimed_can_still_be_completed_by_its_holder()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);
        var worker = db.Worker(lease: Lease);
        var job = (await worker.ClaimAsync()).Single();
        db.Time.Advance(Lease * 2);

        (await worker.CompleteAsync(job)).Should().BeTrue("the token still matches: nobody else took the job");

        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task Complete_many_applies_to_held_jobs_and_refuses_stale_ones()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 5));
        var stale = db.Worker(lease: Lease, id: "stale");
        var old = await stale.ClaimAsync(2);
        db.Time.Advance(Lease);
        var fresh = db.Worker(lease: Lease, id: "fresh");
        var current = await fresh.ClaimAsync(5);

        var applied = await stale.CompleteManyAsync([old[0], current[2], old[1]]);

        applied.Should().Equal(false, true, false);
        (await db.Client.GetStatsAsync()).For("default").Completed.Should().Be(1);
        (await fresh.CompleteManyAsync(current)).Should().Equal(true, true, false, true, true);
    }
}
