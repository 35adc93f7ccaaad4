using SqliteQueue.Internal.Storage;
using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

/// <summary>The finished-job counts the triggers keep, against a full count, after every kind of state change.</summary>
public sealed class CountsTests
{
    [Fact]
    public async Task Counts_stay_exact_through_every_kind_of_state_change()
    {
        await using var db = new TestDatabase();
        var q = db.Queue;
        async Task Check(string after) => await AssertCountsExactAsync(db.Client, db.ConnectionString, "after " + after);

        var completed = await CompletedAsync(q, 4, "a");
        await Check("completions");
        var dead = await DeadAsync(q, 3, "a");
        await Check("permanent failures");
        var cancelled = await CancelledAsync(db.Client, 3, "b");
        await Check("cancels of pending jobs");

        // A running job whose cancellation is only requested stays running until its worker stops.
        var running = await RunningAsync(q, 2, "b");
        (await db.Client.CancelAsync(running[0].Id)).Should().Be(CancelResult.CancellationRequested);
        await Check("a cancellation request");

        var worker = q.Create(new WorkerOptions { Queues = ["b"], WorkerId = "kit" });
        (await worker.FailAsync(running[0], "stopped")).Applied.Should().BeTrue();
        (await worker.FailAsync(running[1], "retry me")).State.Should().Be(JobState.Pending);
        await Check("a failure with attempts left and a cancelled run");

        (await db.Client.RetryAsync(dead[0])).Should().BeTrue();
        (await db.Client.RetryAsync(cancelled[0])).Should().BeTrue();
        await Check("single retries");

        // Lease expiry: the one-attempt job is rescued to dead, the other back to pending.
        await RunningAsync(q, 1, "c", maxAttempts: 1, lease: TimeSpan.FromSeconds(5));
        await RunningAsync(q, 1, "d", maxAttempts: 3, lease: TimeSpan.FromSeconds(5));
        db.Time.Advance(TimeSpan.FromMinutes(1));
        await q.Create(new WorkerOptions { Queues = ["c"], WorkerId = "rescuer" }).ClaimAsync();
        await q.Create(new WorkerOptions { Queues = ["d"], WorkerId = "rescuer" }).ClaimAsync();
        (await db.Client.GetStatsAsync()).For("c").Dead.Should().Be(1);
        await Check("lease expiry rescues");

        (await q.Maintenance.RetryJobsAsync(new JobFilter(JobState.Dead) { Queue = "a" })).Should().Be(dead.Count - 1);
        await Check("a bulk retry");
        (await q.Maintenance.DeleteJobsAsync([completed[0], completed[1], cancelled[1]])).Should().Be(3);
        await Check("a delete by ids");
        (await q.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Cancelled))).Should().BeGreaterThan(0);
        await Check("a delete by filter");
        await CompletedAsync(q, 2, "e");
        await q.Maintenance.PurgeQueueAsync("e");
        await Check("a purge");
        db.Time.Advance(TimeSpan.FromDays(30));
        (await q.Maintenance.PruneAsync()).Total.Should().BeGreaterThan(0);
        await Check("a prune");
    }

    [Fact]
    public async Task Counts_stay_exact_under_concurrent_writers_in_two_stores_on_one_file()
    {
        const int Rounds = 60;
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();
        var other = db.Open();
        var queues = new[] { "a", "b" };

        async Task Enqueue(SqliteJobQueue queue)
        {
            for (var i = 0; i < Rounds; i++)
            {
                await PendingAsync(queue.Client, 5, queues[i % 2], maxAttempts: 2);
            }
        }

        async Task Work(SqliteJobQueue queue, string id, int mode)
        {
            var worker = queue.Create(new WorkerOptions { Queues = queues, WorkerId = id });
            for (var i = 0; i < Rounds; i++)
            {
                foreach (var job in await worker.ClaimAsync(3))
                {
                    // Each worker settles its jobs its own way, so completions, retries, deaths and cancels interleave.
                    switch ((mode + job.Id) % 4)
                    {
                        case 0:
                            await worker.CompleteAsync(job);
                            break;
                        case 1:
                            await worker.FailAsync(job, "again");
                            break;
                        case 2:
                            await worker.FailAsync(job, "never", permanent: true);
                            break;
                        default:
                            await queue.Client.CancelAsync(job.Id);
                            await worker.FailAsync(job, "cancelled");
                            break;
                    }
                }
            }
        }

        async Task Maintain(SqliteJobQueue queue)
        {
            for (var i = 0; i < Rounds / 6; i++)
            {
                await queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Dead) { Queue = "a" });
                await queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero, Cancelled = null, Dead = null });
                await queue.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Cancelled) { Queue = "b" });
            }
        }

        await Task.WhenAll(
            Task.Run(() => Enqueue(db.Queue)),
            Task.Run(() => Enqueue(other)),
            Task.Run(() => Work(db.Queue, "w1", 0)),
            Task.Run(() => Work(db.Queue, "w2", 1)),
            Task.Run(() => Work(other, "w3", 2)),
            Task.Run(() => Work(other, "w4", 3)),
            Task.Run(() => Maintain(other)));

        using (var connection = db.Raw())
        {
            Long(connection, "SELECT COUNT(*) FROM queue_jobs WHERE state IN ('completed', 'dead', 'cancelled');").Should().BeGreaterThan(0, "the writers finished jobs");
        }

        await AssertCountsExactAsync(db.Client, db.ConnectionString);
        await AssertCountsExactAsync(other.Client, db.ConnectionString, "as the second store reads them");
    }

    [Fact]
    public async Task A_file_migrated_from_schema_2_counts_its_existing_finished_jobs()
    {
        await using var db = new TestDatabase();
        using (var connection = db.Raw())
        {
            foreach (var (version, script) in Migrator.Migrations.Where(m => m.Version <= 2))
            {
                Execute(connection, SqlText.Render(script, "queue_"));
            }

            Execute(connection, "PRAGMA user_version = 2;");
            Execute(connection, """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
                INSERT INTO queue_jobs (queue, type, payload, state, run_at, max_attempts, created_at, finished_at)
                SELECT CASE i % 4 WHEN 0 THEN 'x' ELSE 'y' END, 't', '{}',
                       CASE i % 5 WHEN 0 THEN 'pending' WHEN 1 THEN 'dead' WHEN 2 THEN 'cancelled' ELSE 'completed' END,
                       0, 5, 0, CASE i % 5 WHEN 0 THEN NULL ELSE 0 END
                FROM n;
                """);
        }

        var stats = await db.Client.GetStatsAsync();

        stats.For("y").Completed.Should().BeGreaterThan(0);
        using (var check = db.Raw())
        {
            Scalar(check, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
        }

        await AssertCountsExactAsync(db.Client, db.ConnectionString, "right after the migration");
        var worker = db.Queue.Create(new WorkerOptions { Queues = ["x", "y"], WorkerId = "kit" });
        foreach (var job in await worker.ClaimAsync(50))
        {
            await worker.CompleteAsync(job);
        }

        await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Dead = TimeSpan.Zero });
        await AssertCountsExactAsync(db.Client, db.ConnectionString, "after work and a prune on the migrated file");
    }
}
