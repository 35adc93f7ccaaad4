using System.Globalization;
using Microsoft.Data.Sqlite;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>
/// Maintenance across processes: a hosted worker drains one file while two maintenance processes stand by for each
/// other; one at a time prunes, and when it is killed the other takes over once its lease runs out. Real time across
/// processes, so the test waits for conditions under a generous bound and asserts no duration.
/// </summary>
public sealed class MaintenanceProcessTests
{
    private const string JobType = "multi.work";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task One_process_at_a_time_prunes_beside_a_draining_worker_and_another_takes_over_when_it_is_killed()
    {
        await using var db = new TestDatabase(configure: o => o.PollInterval = TimeSpan.FromMilliseconds(100));
        var queue = db.Open(TimeProvider.System);
        await queue.InitializeAsync();
        var firstOld = InsertOldCompleted(db, 20_000);

        var worker = WorkerProcess.StartHosted(db.Path, "drain", leaseMs: 30_000, concurrency: 4, holdMs: 0, maintenance: false);
        var maintainers = new List<WorkerProcess> { WorkerProcess.StartMaintenance(db.Path, "m-1"), WorkerProcess.StartMaintenance(db.Path, "m-2") };
        try
        {
            await worker.WaitUntilAsync(l => l.Contains("ready"), "ready line", Bound);
            var fresh = new List<long>();
            using var bound = new CancellationTokenSource(Bound);

            // New jobs flow while the old ones are pruned, so the prune's windows interleave with live claims.
            while (OldLeft(db, firstOld) > 0)
            {
                fresh.AddRange(await queue.Client.EnqueueManyAsync(JobType, Enumerable.Range(0, 50).Select(_ => new { Poison = false })));
                await Task.Delay(TimeSpan.FromMilliseconds(50), bound.Token);
            }

            var holder = maintainers.Single(m => TookLease(m));
            var standby = maintainers.Single(m => m != holder);

            // The run is recorded just after the prune's last window commits.
            while (PruneRecorded(db) == 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), bound.Token);
            }

            using (var raw = db.Raw())
            {
                Scalar(raw, "SELECT term FROM queue_leases WHERE name = 'maintenance';").Should().Be(1L, "one process took the lease and kept it");
                Scalar(raw, "SELECT owner FROM queue_maintenance_runs WHERE task = 'prune';").Should().Be(Scalar(raw, "SELECT owner FROM queue_leases WHERE name = 'maintenance';"));
            }

            // The holder dies without a word. Two days pass for every job so far (ids keep growing with creation time, as
            // they do); the standby takes over when the lease runs out and prunes them while new jobs keep flowing.
            await queue.Client.WaitUntilAllIdleAsync(bound.Token);
            holder.Kill();
            var aged = AgeEveryJob(db);
            var later = new List<long>();
            await standby.WaitUntilAsync(l => TookLease(l), "lease taken", Bound);
            while (OldLeft(db, 1) > 0 || AgedLeft(db, aged) > 0)
            {
                later.AddRange(await queue.Client.EnqueueManyAsync(JobType, Enumerable.Range(0, 50).Select(_ => new { Poison = false })));
                await Task.Delay(TimeSpan.FromMilliseconds(50), bound.Token);
            }

            await queue.Client.WaitUntilAllIdleAsync(bound.Token);
            using var check = db.Raw();
            Scalar(check, "SELECT term FROM queue_leases WHERE name = 'maintenance';").Should().Be(2L, "a new holder gets the next term");
            Scalar(check, "SELECT count(*) FROM queue_jobs WHERE state <> 'completed';").Should().Be(0L);
            Scalar(check, "SELECT count(*) FROM queue_jobs;").Should().Be((long)later.Count, "every new job is kept, every aged one pruned");
            Scalar(check, "SELECT count(*) FROM queue_executions WHERE job_id NOT IN (SELECT id FROM queue_jobs);").Should().Be(0L, "history goes with its jobs");
            Scalar(check, "SELECT COALESCE(SUM(n), 0) FROM queue_counts WHERE state = 'completed';").Should().Be((long)later.Count, "the counts follow every prune");
            Scalar(check, "PRAGMA integrity_check;").Should().Be("ok");
            var stats = await queue.Client.GetStatsAsync();
            stats.For(QueueNames.Default).Completed.Should().Be(later.Count);
            fresh.Should().NotBeEmpty("jobs flowed during the first prune");

            foreach (var process in maintainers.Append(worker))
            {
                process.Lines.Where(l => l.StartsWith("warn", StringComparison.Ordinal)).Should().BeEmpty(process.Describe());
            }
        }
        finally
        {
            worker.Dispose();
            maintainers.ForEach(m => m.Dispose());
        }
    }

    private static bool TookLease(WorkerProcess process) => TookLease(process.Lines);

    private static bool TookLease(IReadOnlyList<string> lines) => lines.Any(l => l.StartsWith("log 4001 ", StringComparison.Ordinal));

    /// <summary>Completed jobs that finished two days ago, each with its execution, as a busy queue leaves them; returns the first id.</summary>
    private static long InsertOldCompleted(TestDatabase db, int count)
    {
        var finished = DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        using var raw = db.Raw();
        using var tx = raw.BeginTransaction();
        var first = (long)Scalar(raw, "SELECT COALESCE(MAX(id), 0) + 1 FROM queue_jobs;", tx)!;
        Execute(raw, $$"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {{count}})
            INSERT INTO queue_jobs (queue, type, payload, state, run_at, attempt, max_attempts, created_at, started_at, finished_at)
            SELECT 'default', 'old', '{"n":' || i || '}', 'completed', {{finished}}, 1, 5, {{finished}}, {{finished}}, {{finished}} FROM n;
            INSERT INTO queue_executions (job_id, attempt, worker_id, started_at, finished_at, outcome)
            SELECT id, 1, 'old', {{finished}}, {{finished}}, 'completed' FROM queue_jobs WHERE id >= {{first}};
            """, tx);
        tx.Commit();
        return first;
    }

    /// <summary>Moves every job's times two days back, as if they had passed; returns the highest id moved.</summary>
    private static long AgeEveryJob(TestDatabase db)
    {
        const long TwoDays = 2 * 24 * 3600 * 1000L;
        using var raw = db.Raw();
        Execute(raw, $"UPDATE queue_jobs SET created_at = created_at - {TwoDays}, run_at = run_at - {TwoDays}, started_at = started_at - {TwoDays}, finished_at = finished_at - {TwoDays};");
        return (long)Scalar(raw, "SELECT MAX(id) FROM queue_jobs;")!;
    }

    private static long AgedLeft(TestDatabase db, long aged)
    {
        using var raw = db.Raw();
        return (long)Scalar(raw, $"SELECT count(*) FROM queue_jobs WHERE id <= {aged};")!;
    }

    private static long PruneRecorded(TestDatabase db)
    {
        using var raw = db.Raw();
        return (long)Scalar(raw, "SELECT count(*) FROM queue_maintenance_runs WHERE task = 'prune';")!;
    }

    private static long OldLeft(TestDatabase db, long firstOld)
    {
        using var raw = db.Raw();
        return (long)Scalar(raw, $"SELECT count(*) FROM queue_jobs WHERE type = 'old' AND id >= {firstOld};")!;
    }
}
