using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

public sealed class PruneTests
{
    [Fact]
    public async Task PruneAsync_keeps_each_finished_state_for_its_own_retention()
    {
        await using var db = new TestDatabase();
        var oldCompleted = await CompletedAsync(db.Queue, 3);
        var oldCancelled = await CancelledAsync(db.Client, 3);
        var oldDead = await DeadAsync(db.Queue, 3);
        db.Time.Advance(TimeSpan.FromHours(2));
        var newCompleted = await CompletedAsync(db.Queue, 1);
        var newCancelled = await CancelledAsync(db.Client, 1);
        var newDead = await DeadAsync(db.Queue, 1);
        var retention = new RetentionOptions { Completed = TimeSpan.FromHours(1), Cancelled = TimeSpan.FromHours(3), Dead = null };

        var first = await db.Queue.Maintenance.PruneAsync(retention);

        first.Should().Match<PruneResult>(r => r.Completed == 3 && r.Cancelled == 0 && r.Dead == 0 && r.Total == 3);
        (await StatesAsync(db, oldCompleted)).Should().OnlyContain(s => s == null);
        (await StatesAsync(db, [.. oldCancelled, .. newCancelled])).Should().OnlyContain(s => s == JobState.Cancelled);
        (await StatesAsync(db, [.. oldDead, .. newDead])).Should().OnlyContain(s => s == JobState.Dead);
        (await StatesAsync(db, newCompleted)).Should().OnlyContain(s => s == JobState.Completed);

        db.Time.Advance(TimeSpan.FromHours(2));
        var second = await db.Queue.Maintenance.PruneAsync(retention);

        // Now the old cancelled jobs are 4 hours old and the new completed one 2 hours; dead jobs stay forever.
        second.Should().Match<PruneResult>(r => r.Completed == 1 && r.Cancelled == 3 && r.Dead == 0);
        (await StatesAsync(db, newCancelled)).Should().OnlyContain(s => s == JobState.Cancelled);
        (await StatesAsync(db, [.. oldDead, .. newDead])).Should().OnlyContain(s => s == JobState.Dead);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task A_zero_retention_deletes_jobs_that_finished_at_this_very_moment()
    {
        await using var db = new TestDatabase();
        var completed = await CompletedAsync(db.Queue, 2);
        var dead = await DeadAsync(db.Queue, 2);
        var cancelled = await CancelledAsync(db.Client, 2);

        var result = await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero, Cancelled = TimeSpan.Zero, Dead = TimeSpan.Zero });

        result.Should().Match<PruneResult>(r => r.Completed == 2 && r.Dead == 2 && r.Cancelled == 2);
        (await StatesAsync(db, [.. completed, .. dead, .. cancelled])).Should().OnlyContain(s => s == null);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task A_null_retention_keeps_finished_jobs_forever_and_does_no_work()
    {
        await using var db = new TestDatabase();
        var ids = (await CompletedAsync(db.Queue, 2)).Concat(await DeadAsync(db.Queue, 2)).Concat(await CancelledAsync(db.Client, 2)).ToList();
        db.Time.Advance(TimeSpan.FromDays(20 * 365));

        var result = await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = null, Cancelled = null, Dead = null });

        result.Total.Should().Be(0);
        result.Batches.Should().Be(0, "with nothing to delete in any state there is nothing to walk");
        (await StatesAsync(db, ids)).Should().NotContainNulls();
    }

    [Fact]
    public async Task PruneAsync_never_touches_pending_or_running_jobs_however_old()
    {
        await using var db = new TestDatabase();
        var running = await RunningAsync(db.Queue, 2);
        var pending = await PendingAsync(db.Client, 2);
        var delayed = await db.Client.EnqueueAsync("t", 1, new EnqueueOptions { Delay = TimeSpan.FromDays(1) });
        db.Time.Advance(TimeSpan.FromDays(3000));

        var result = await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero, Cancelled = TimeSpan.Zero, Dead = TimeSpan.Zero });

        result.Total.Should().Be(0);
        (await StatesAsync(db, [.. running.Select(j => j.Id)])).Should().OnlyContain(s => s == JobState.Running);
        (await StatesAsync(db, [.. pending, delayed])).Should().OnlyContain(s => s == JobState.Pending);
    }

    [Fact]
    public async Task Pruned_jobs_lose_their_executions_and_kept_jobs_keep_theirs()
    {
        await using var db = new TestDatabase();
        var old = await CompletedAsync(db.Queue, 3);
        var oldDead = await DeadAsync(db.Queue, 2);
        db.Time.Advance(TimeSpan.FromDays(2));
        var kept = await CompletedAsync(db.Queue, 2);
        using (var connection = db.Raw())
        {
            Long(connection, $"SELECT COUNT(*) FROM queue_executions WHERE job_id IN ({Ids([.. old, .. oldDead])});").Should().Be(5, "each finished attempt left a row");
        }

        await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.FromDays(1), Dead = TimeSpan.FromDays(1) });

        using var check = db.Raw();
        Long(check, $"SELECT COUNT(*) FROM queue_executions WHERE job_id IN ({Ids([.. old, .. oldDead])});").Should().Be(0);
        Long(check, $"SELECT COUNT(*) FROM queue_executions WHERE job_id IN ({Ids(kept)});").Should().Be(2);
        Long(check, "SELECT COUNT(*) FROM queue_executions WHERE job_id NOT IN (SELECT id FROM queue_jobs);").Should().Be(0);
    }

    [Fact]
    public async Task A_prune_of_many_thousands_of_jobs_works_in_several_batches_and_keeps_counts_exact()
    {
        const int Old = 20_000;
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();
        var now = db.Time.GetUtcNow().ToUnixTimeMilliseconds();
        using (var connection = db.Raw())
        {
            // Inserted directly: twenty thousand claims and completions through the API would only slow the test.
            Execute(connection, $"""
                BEGIN;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {Old})
                INSERT INTO queue_jobs (queue, type, payload, state, run_at, attempt, max_attempts, created_at, started_at, finished_at)
                SELECT CASE i % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'default' END, 't', json_object('n', i),
                       CASE i % 10 WHEN 0 THEN 'dead' WHEN 1 THEN 'cancelled' ELSE 'completed' END,
                       {now}, 1, 5, {now}, {now}, {now}
                FROM n;
                INSERT INTO queue_executions (job_id, attempt, worker_id, started_at, finished_at, outcome)
                SELECT id, 1, 'w', {now}, {now}, 'completed' FROM queue_jobs;
                COMMIT;
                """);
        }

        db.Time.Advance(TimeSpan.FromDays(30));
        var kept = await CompletedAsync(db.Queue, 5);
        await AssertCountsExactAsync(db.Client, db.ConnectionString, "after the bulk insert");

        var result = await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.FromDays(1), Cancelled = TimeSpan.FromDays(1), Dead = TimeSpan.FromDays(1) });

        result.Total.Should().Be(Old);
        result.Dead.Should().Be(Old / 10);
        result.Cancelled.Should().Be(Old / 10);
        result.Batches.Should().BeGreaterThan(1, "twenty thousand deletes must not hold the write lock in one transaction");
        result.LongestBatch.Should().BeLessThanOrEqualTo(result.Duration);
        using (var check = db.Raw())
        {
            Long(check, "SELECT COUNT(*) FROM queue_jobs;").Should().Be(kept.Count);
            Long(check, "SELECT COUNT(*) FROM queue_executions;").Should().Be(kept.Count);
        }

        await AssertCountsExactAsync(db.Client, db.ConnectionString, "after the prune");
    }

    [Fact]
    public async Task A_prune_walks_past_an_old_job_that_finished_late_to_younger_jobs_that_finished_early()
    {
        await using var db = new TestDatabase();
        var day = TimeSpan.FromDays(1);
        var longRunning = (await RunningAsync(db.Queue, 1, lease: day)).Single();
        var worker = db.Queue.Create(new WorkerOptions { WorkerId = "kit", LeaseDuration = day });
        db.Time.Advance(TimeSpan.FromHours(12));
        var finishedEarly = await CompletedAsync(db.Queue, 1);
        db.Time.Advance(TimeSpan.FromHours(8));
        (await worker.RenewLeaseAsync(longRunning)).Should().Be(RenewResult.Renewed);
        db.Time.Advance(TimeSpan.FromHours(12));
        (await worker.CompleteAsync(longRunning)).Should().BeTrue();

        var result = await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.FromHours(12) });

        result.Completed.Should().Be(1, "the job created first finished just now, inside its retention");
        (await StatesAsync(db, finishedEarly)).Should().OnlyContain(s => s == null);
        (await StatesAsync(db, [longRunning.Id])).Should().OnlyContain(s => s == JobState.Completed);
    }

    [Fact]
    public async Task A_prune_is_recorded_in_the_last_runs()
    {
        await using var db = new TestDatabase();
        await CompletedAsync(db.Queue, 2);
        var started = db.Time.GetUtcNow();

        await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero });

        var info = await db.Queue.Maintenance.GetStorageInfoAsync();
        var run = info.LastRuns.Should().ContainSingle(r => r.Task == "prune").Subject;
        run.Succeeded.Should().BeTrue();
        run.StartedAt.Should().Be(started);
        run.FinishedAt.Should().Be(started);
        run.Owner.Should().Be(MaintenanceRuns.ByHand);
        run.Summary.Should().StartWith("deleted 2 completed, 0 cancelled, 0 dead in 1 batches");
    }

    [Fact]
    public async Task A_pruned_state_comes_back_to_zero_in_the_stats_and_is_counted_again_afterwards()
    {
        await using var db = new TestDatabase();
        await CompletedAsync(db.Queue, 3, "a");
        await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero });

        (await db.Client.GetStatsAsync()).For("a").Completed.Should().Be(0);
        await CompletedAsync(db.Queue, 2, "a");

        (await db.Client.GetStatsAsync()).For("a").Completed.Should().Be(2);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    /// <summary>Each job's state, or null for a job that is gone.</summary>
    private static async Task<List<JobState?>> StatesAsync(TestDatabase db, IEnumerable<long> ids)
    {
        var states = new List<JobState?>();
        foreach (var id in ids)
        {
            states.Add((await db.Client.GetJobAsync(id))?.State);
        }

        return states;
    }
}
