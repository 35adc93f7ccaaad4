using Microsoft.Data.Sqlite;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Core;

/// <summary>
/// Jobs a worker claims ahead of its free slots are held: leased to it, but their attempt counts only when their
/// handler is about to run. A held job that comes back (lease expiry, release, cancel) has spent nothing.
/// </summary>
public sealed class HeldJobTests
{
    [Fact]
    public async Task A_claim_counts_the_attempts_of_the_jobs_that_start_and_holds_the_rest()
    {
        await using var db = new TestDatabase();
        var ids = await db.Client.EnqueueManyAsync("t", [1, 2, 3]);
        var worker = (Worker)db.Worker();

        var claimed = await worker.ClaimAsync(3, startCount: 1, CancellationToken.None);

        claimed.Select(j => j.Attempt).Should().Equal([1, 1, 1], "each job's handler will run as attempt 1");
        using var raw = db.Raw();
        Row(raw, ids[0]).Should().Be(("running", 1, true));
        Row(raw, ids[1]).Should().Be(("running", 0, false), "a held job has not spent its attempt");
        Row(raw, ids[2]).Should().Be(("running", 0, false));
        (await db.Client.GetJobAsync(ids[1]))!.StartedAt.Should().BeNull("its handler has not started");

        (await worker.StartHeldAsync([claimed[1]])).Should().Equal(HeldStart.Started);
        Row(raw, ids[1]).Should().Be(("running", 1, true));
        (await worker.StartHeldAsync([claimed[1]])).Should().Equal([HeldStart.LeaseLost], "a job starts once per claim");
    }

    [Fact]
    public async Task A_crashed_workers_held_jobs_come_back_with_nothing_spent_while_its_started_job_is_charged()
    {
        await using var db = new TestDatabase();
        var ids = await db.Client.EnqueueManyAsync("t", [1, 2, 3], new EnqueueOptions { MaxAttempts = 1 });
        var crashed = (Worker)db.Worker(lease: TimeSpan.FromSeconds(5));
        await crashed.ClaimAsync(3, startCount: 1, CancellationToken.None);

        db.Time.Advance(TimeSpan.FromSeconds(6));
        var next = await db.Worker().ClaimAsync(10);

        next.Select(j => j.Id).Should().Equal([ids[1], ids[2]], "the held jobs are claimable again");
        next.Should().OnlyContain(j => j.Attempt == 1);
        var started = (await db.Client.GetJobAsync(ids[0]))!;
        started.State.Should().Be(JobState.Dead, "the job whose handler started spent its only attempt");
        (await db.Client.GetExecutionsAsync(ids[0])).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.LeaseExpired);
        (await db.Client.GetExecutionsAsync(ids[1])).Should().BeEmpty("a held job never ran, so it has no execution");
    }

    [Fact]
    public async Task A_held_job_given_back_keeps_its_attempt_and_one_whose_cancel_was_requested_ends_cancelled()
    {
        await using var db = new TestDatabase();
        var ids = await db.Client.EnqueueManyAsync("t", [1, 2]);
        var worker = (Worker)db.Worker();
        var claimed = await worker.ClaimAsync(2, startCount: 0, CancellationToken.None);

        (await db.Client.CancelAsync(ids[1])).Should().Be(CancelResult.CancellationRequested);
        (await worker.StartHeldAsync(claimed)).Should().Equal(HeldStart.Started, HeldStart.CancellationRequested);
        (await worker.ReleaseAsync(claimed[1])).Should().BeTrue();

        var cancelled = (await db.Client.GetJobAsync(ids[1]))!;
        cancelled.State.Should().Be(JobState.Cancelled);
        cancelled.Attempt.Should().Be(0);
        (await db.Client.GetExecutionsAsync(ids[1])).Should().BeEmpty();

        // A started job given back undoes its attempt, as before, and leaves a released execution.
        (await worker.ReleaseAsync(claimed[0])).Should().BeTrue();
        (await db.Client.GetJobAsync(ids[0]))!.Attempt.Should().Be(0);
        (await db.Client.GetExecutionsAsync(ids[0])).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Released);
    }

    private static (string State, int Attempt, bool Started) Row(SqliteConnection connection, long id)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT state, attempt, started_at IS NOT NULL FROM queue_jobs WHERE id = @id;";
        command.Parameters.AddWithValue("@id", id);
        using var reader = command.ExecuteReader();
        reader.Read().Should().BeTrue();
        return (reader.GetString(0), reader.GetInt32(1), reader.GetBoolean(2));
    }
}
