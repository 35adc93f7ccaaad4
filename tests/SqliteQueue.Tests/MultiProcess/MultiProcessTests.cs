using Microsoft.Data.Sqlite;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>
/// Several OS processes, each with its own store, claim from one queue file. These run on the real clock
/// (leases expire in real time across processes), so they wait for conditions under generous bounds and
/// never assert a duration.
/// </summary>
public sealed class MultiProcessTests
{
    private const string JobType = "multi.work";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Three_processes_complete_every_job_exactly_once()
    {
        await using var db = new TestDatabase(configure: o => o.PollInterval = TimeSpan.FromMilliseconds(100));
        var queue = db.Open(TimeProvider.System);
        var ids = await queue.Client.EnqueueManyAsync(JobType, Enumerable.Range(0, 3000).Select(n => new { N = n }));

        var workers = new List<WorkerProcess>();
        try
        {
            for (var i = 1; i <= 3; i++)
            {
                // A millisecond per job keeps the drain long enough (about a second) that every process surely gets work.
                workers.Add(WorkerProcess.Start(db.Path, $"proc-{i}", leaseMs: 30_000, batch: 10, holdMs: 1, idleExitMs: 1_000));
            }

            // All three open the file first, then start together, so they really contend.
            foreach (var worker in workers)
            {
                await worker.WaitUntilAsync(l => l.Contains("ready"), "ready line", Bound);
            }

            workers.ForEach(w => w.Go());
            foreach (var worker in workers)
            {
                (await worker.WaitForExitAsync(Bound)).Should().Be(0, worker.Describe());
                worker.Lines.Should().Contain("exit idle");
                worker.Lost.Should().BeEmpty("a 30 s lease does not run out here");
            }

            // stdout: every id printed once in all, and every process did part of the work.
            // (Sorted comparisons: FluentAssertions' unordered equivalency is quadratic, slow for thousands of items.)
            var printed = workers.SelectMany(w => w.Completed).ToList();
            printed.Should().OnlyHaveUniqueItems();
            printed.Order().Should().Equal(ids.Order());
            workers.Should().AllSatisfy(w => w.Completed.Should().NotBeEmpty($"{w.WorkerId} took part"));

            // The file: every job completed, with one 'completed' execution by the process that printed it.
            using var raw = db.Raw();
            StatesOf(raw).Should().BeEquivalentTo(new Dictionary<string, long> { ["completed"] = ids.Count });
            var executions = ExecutionsOf(raw);
            executions.Should().HaveCount(ids.Count).And.OnlyContain(e => e.Outcome == "completed");
            executions.Select(e => e.JobId).Order().Should().Equal(ids.Order());
            var printedBy = workers.SelectMany(w => w.Completed.Select(id => (JobId: id, w.WorkerId))).ToDictionary(p => p.JobId, p => p.WorkerId);
            executions.Should().OnlyContain(e => printedBy[e.JobId] == e.WorkerId, "the execution names the process that completed the job");
        }
        finally
        {
            workers.ForEach(w => w.Dispose());
        }
    }

    [Fact]
    public async Task Jobs_held_by_a_killed_process_are_reclaimed_by_the_others_and_completed_exactly_once()
    {
        await using var db = new TestDatabase(configure: o => o.PollInterval = TimeSpan.FromMilliseconds(100));
        var queue = db.Open(TimeProvider.System);
        var ids = await queue.Client.EnqueueManyAsync(JobType, Enumerable.Range(0, 1500).Select(n => new { N = n }));

        // The victim works slowly, so it always holds most of a batch; its whole batch (10 x 150 ms) fits in its
        // 2 s lease. The survivors would outlive a lease while idle (they stop only when told), because an expired
        // lease is rescued only by the next claim.
        const int leaseMs = 2_000;
        var victim = WorkerProcess.Start(db.Path, "victim", leaseMs, batch: 10, holdMs: 150, idleExitMs: 60_000);
        var survivors = new List<WorkerProcess>();
        try
        {
            for (var i = 1; i <= 2; i++)
            {
                survivors.Add(WorkerProcess.Start(db.Path, $"survivor-{i}", leaseMs, batch: 10, holdMs: 0, idleExitMs: 60_000));
            }

            foreach (var worker in survivors.Append(victim))
            {
                await worker.WaitUntilAsync(l => l.Contains("ready"), "ready line", Bound);
            }

            // The victim claims first, so it surely holds jobs; then all run together until it has completed a few.
            victim.Go();
            await victim.WaitUntilAsync(l => l.Any(x => x.StartsWith("claimed ", StringComparison.Ordinal)), "first claim", Bound);
            survivors.ForEach(w => w.Go());
            await victim.WaitUntilAsync(l => l.Count(x => x.StartsWith("completed ", StringComparison.Ordinal)) >= 2, "two completions", Bound);

            victim.Kill();
            await victim.WaitForExitAsync(Bound);
            List<long> heldAtKill;
            using (var raw = db.Raw())
            {
                heldAtKill = RunningJobsOf(raw, "victim");
            }

            // Everything ends: the victim's jobs come back when its lease runs out and the survivors take them.
            using (var idle = new CancellationTokenSource(Bound))
            {
                await queue.Client.WaitUntilIdleAsync(QueueNames.Default, idle.Token);
            }

            survivors.ForEach(w => w.Stop());
            foreach (var worker in survivors)
            {
                (await worker.WaitForExitAsync(Bound)).Should().Be(0, worker.Describe());
                worker.Lines.Should().Contain("exit stop");
            }

            using var check = db.Raw();
            StatesOf(check).Should().BeEquivalentTo(new Dictionary<string, long> { ["completed"] = ids.Count });
            var executions = ExecutionsOf(check);
            var completed = executions.Where(e => e.Outcome == "completed").ToList();
            completed.Select(e => e.JobId).Order().Should().Equal(ids.Order(), "each job has exactly one completed execution");
            executions.Should().OnlyContain(e => e.Outcome == "completed" || e.Outcome == "lease_expired");

            // The jobs the victim held when it died were rescued from it and completed by a survivor, on a later attempt.
            var rescuedFromVictim = executions.Where(e => e.Outcome == "lease_expired" && e.WorkerId == "victim").ToList();
            rescuedFromVictim.Should().NotBeEmpty("the victim was killed while holding claimed jobs");
            rescuedFromVictim.Select(e => e.JobId).Should().OnlyHaveUniqueItems();
            heldAtKill.Should().BeSubsetOf(rescuedFromVictim.Select(e => e.JobId), "every job running under the victim at its death was rescued");
            var completedById = completed.ToDictionary(e => e.JobId);
            rescuedFromVictim.Should().OnlyContain(
                e => completedById[e.JobId].WorkerId != "victim" && completedById[e.JobId].Attempt > e.Attempt,
                "a rescued job is completed by a survivor on a later attempt");

            // stdout agrees: no id printed twice, and the survivors printed exactly the jobs the file says they completed.
            // (The victim may have died between a commit and its line, so its own lines may miss one job.)
            var printed = survivors.SelectMany(w => w.Completed).Concat(victim.Completed).ToList();
            printed.Should().OnlyHaveUniqueItems();
            survivors.SelectMany(w => w.Completed).Order().Should().Equal(
                completed.Where(e => e.WorkerId != "victim").Select(e => e.JobId).Order());
            victim.Completed.Should().BeSubsetOf(completed.Where(e => e.WorkerId == "victim").Select(e => e.JobId));
        }
        finally
        {
            victim.Dispose();
            survivors.ForEach(w => w.Dispose());
        }
    }

    private static Dictionary<string, long> StatesOf(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT state, COUNT(*) FROM queue_jobs GROUP BY state;";
        using var reader = command.ExecuteReader();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (reader.Read())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private static List<Execution> ExecutionsOf(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT job_id, attempt, worker_id, outcome FROM queue_executions ORDER BY id;";
        using var reader = command.ExecuteReader();
        var executions = new List<Execution>();
        while (reader.Read())
        {
            executions.Add(new Execution(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3)));
        }

        return executions;
    }

    private static List<long> RunningJobsOf(SqliteConnection connection, string workerId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM queue_jobs WHERE state = 'running' AND lease_owner = @owner ORDER BY id;";
        command.Parameters.AddWithValue("@owner", workerId);
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private sealed record Execution(long JobId, int Attempt, string WorkerId, string Outcome);
}
