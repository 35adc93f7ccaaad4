using Microsoft.Data.Sqlite;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>
/// Poison jobs whose handlers kill their own process, among many good jobs, in hosted workers that claim ahead
/// (prefetch). Processes die and are replaced in real time, so the test waits for conditions under a generous
/// bound and asserts no duration.
/// </summary>
public sealed class PoisonJobTests
{
    private const string JobType = "multi.work";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task Poison_jobs_that_kill_their_worker_end_dead_and_take_no_good_job_with_them()
    {
        await using var db = new TestDatabase(configure: o => o.PollInterval = TimeSpan.FromMilliseconds(100));
        var queue = db.Open(TimeProvider.System);
        var poison = new List<long>();
        var good = new List<long>();
        for (var n = 0; n < 400; n++)
        {
            var isPoison = n % 80 == 40;
            var id = await queue.Client.EnqueueAsync(JobType, new { Poison = isPoison }, new EnqueueOptions { MaxAttempts = 2 });
            (isPoison ? poison : good).Add(id);
        }

        // Two processes at all times, each running one handler at a time and claiming ahead of it; a process that a
        // poison job killed is replaced. Its held jobs come back when its one-second lease runs out.
        var workers = new List<WorkerProcess>();
        var everyWorker = new List<WorkerProcess>(); // the replaced ones too: the last two may have run nothing
        try
        {
            var launched = 0;
            WorkerProcess Launch()
            {
                var worker = WorkerProcess.StartHosted(db.Path, $"proc-{++launched}", leaseMs: 1_000, concurrency: 1, holdMs: 2);
                everyWorker.Add(worker);
                return worker;
            }

            workers.Add(Launch());
            workers.Add(Launch());
            using var bound = new CancellationTokenSource(Bound);
            while (Unfinished(db) > 0)
            {
                for (var i = 0; i < workers.Count; i++)
                {
                    if (workers[i].HasExited)
                    {
                        workers[i] = Launch();
                    }
                }

                launched.Should().BeLessThan(40, "each of the 4 poison jobs can kill at most 2 processes");
                await Task.Delay(TimeSpan.FromMilliseconds(100), bound.Token);
            }

            using var raw = db.Raw();
            var jobs = JobsOf(raw);
            poison.Should().OnlyContain(id => jobs[id].State == "dead" && jobs[id].Attempt == 2, "a job that kills its worker is dead after its attempts");
            good.Where(id => jobs[id].State != "completed").Should().BeEmpty("no good job is dead-lettered by another job's crash");

            // Each poison job killed a worker twice; only jobs whose handlers had started were charged for it.
            var expired = ExpiredExecutionsOf(raw);
            poison.Should().OnlyContain(id => expired.Count(e => e == id) == 2);
            var ran = everyWorker.SelectMany(w => w.Lines).Where(l => l.StartsWith("ran ", StringComparison.Ordinal)).ToList();
            ran.Should().NotBeEmpty();
        }
        finally
        {
            everyWorker.ForEach(w => w.Dispose());
        }
    }

    private static long Unfinished(TestDatabase db)
    {
        using var raw = db.Raw();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM queue_jobs WHERE state IN ('pending', 'running');";
        return (long)command.ExecuteScalar()!;
    }

    private static Dictionary<long, (string State, int Attempt)> JobsOf(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, state, attempt FROM queue_jobs;";
        using var reader = command.ExecuteReader();
        var jobs = new Dictionary<long, (string, int)>();
        while (reader.Read())
        {
            jobs[reader.GetInt64(0)] = (reader.GetString(1), reader.GetInt32(2));
        }

        return jobs;
    }

    private static List<long> ExpiredExecutionsOf(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT job_id FROM queue_executions WHERE outcome = 'lease_expired';";
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }
}
