using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SqliteQueue.Benchmarks.EndToEnd;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Maintenance;
using SqliteQueue.Internal.Storage.Monitoring;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// <c>admin-depth</c>: the reads an operator tool and a dashboard make, on a file of <c>--jobs</c> jobs (default
/// 1,000,000), so it shows which of them read counters and indexes and which scan. The file (<see cref="DepthFile"/>, shared
/// with <c>dashboard-depth</c>) is built through the public
/// API (<see cref="IQueueClient.EnqueueManyAsync(IEnumerable{NewJob}, CancellationToken)"/>, 1,000 jobs per call, 4
/// queues, 10 types, about a third of the payloads with a <c>"tenant"</c> field, creation times spread over the 7 days
/// up to the build on a manual clock, the last call at the build's start), then most jobs are moved to finished states by one raw <c>UPDATE</c> per state:
/// about 90 % completed, 4 % dead (with <c>last_error</c>), 1 % cancelled, 4.9 % pending (a tenth of them delayed a day)
/// and 0.1 % running (leases held by a made-up worker, expiring in a day). Raw updates are not counted by the finished
/// counts' triggers (those fire on INSERT and DELETE only; the store counts its own updates), so the build rebuilds
/// <c>{prefix}counts</c> from the table, as migration 3 does, and checks <see cref="IQueueClient.GetStatsAsync"/>
/// against <c>COUNT(*)</c> by queue and state. Dead jobs get their five failed executions, the newest completed jobs
/// one execution each; three worker rows and twenty schedules complete the picture.
/// <para>
/// Each read then gets a fresh <see cref="SqliteJobQueue"/> on the file: one untimed call to warm it, then
/// <c>--reps</c> timed calls (default 7); the table gives the median and the maximum. <c>--keep path</c> builds the
/// file at <c>path</c> and keeps it; when <c>path</c> already exists it is read as it is, without a build ("the last
/// hour" then means the hour before this run, not before the build). <c>--plans yes</c> also prints the
/// <c>EXPLAIN QUERY PLAN</c> of the library's statements behind the reads, from the bundled SQLite. Prints the table,
/// then one JSON line.
/// </para>
/// </summary>
internal static class AdminDepth
{
    private const string Usage = "usage: admin-depth [--jobs N (default 1000000, at least 1000)] [--reps N (default 7)] [--keep path] [--plans yes]";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (!DepthFile.TryParseArgs(args, out var jobs, out var reps, out var keep, out var plans))
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        PeerBenchmark.Print($"admin-depth: {jobs:N0} jobs, {reps} timed calls per read; {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                            $"SQLite {PeerBenchmark.SqliteVersion()}, load average {LoadRig.MachineLoad()}");
        var path = keep ?? BenchmarkData.NewDatabasePath();
        var reused = keep is not null && File.Exists(keep);
        try
        {
            var buildSeconds = await DepthFile.PrepareAsync(path, reused, jobs);
            var (fileJobs, statsMatchCount) = await DepthFile.CheckStatsAsync(path);
            PeerBenchmark.Print($"file: {fileJobs:N0} jobs, {new FileInfo(path).Length / (1024.0 * 1024):N0} MiB; GetStatsAsync equals COUNT(*) by queue and state: {statsMatchCount}");

            var reads = Reads(fileJobs, await DepthFile.FindDeadJobAsync(path));
            var results = new List<AdminRead>();
            foreach (var (name, read) in reads)
            {
                results.Add(await TimeAsync(path, name, read, reps));
            }

            var width = results.Max(r => r.Name.Length);
            PeerBenchmark.Print("");
            PeerBenchmark.Print($"{"read".PadRight(width)}  {"median ms",10}  {"max ms",10}  result");
            foreach (var r in results)
            {
                PeerBenchmark.Print(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Name.PadRight(width)}  {r.MedianMs,10:F2}  {r.MaxMs,10:F2}  {r.Result}"));
            }

            if (plans)
            {
                PrintPlans(path);
            }

            PeerBenchmark.Print($"load average {LoadRig.MachineLoad()}");
            Console.WriteLine(JsonSerializer.Serialize(
                new AdminDepthResult("admin-depth", fileJobs, reps, buildSeconds, statsMatchCount, results), JsonOptions));
            return statsMatchCount ? 0 : 1;
        }
        finally
        {
            if (keep is null)
            {
                BenchmarkData.DeleteDatabase(path);
            }
        }
    }

    /// <summary>The reads, in the order the table lists them; each returns a few words on what it found.</summary>
    private static List<(string Name, Func<SqliteJobQueue, Task<string>> Read)> Reads(long jobs, long deadJob)
    {
        static string Page(JobPage page) => $"{page.Jobs.Count} jobs" + (page.Jobs.Count > 0 ? $", ids {page.Jobs[0].Id}..{page.Jobs[^1].Id}" : "");

        // At the default size, the page after id 900,000: deep in the history, among the completed jobs.
        var deep = jobs * 9 / 10;
        return
        [
            ("GetStatsAsync", async q =>
            {
                var s = await q.Client.GetStatsAsync();
                return $"{s.Queues.Sum(x => x.Pending + x.Running + x.Completed + x.Dead + x.Cancelled):N0} jobs in {s.Queues.Count} queues";
            }),
            ("ListJobs, no filter", async q => Page(await q.Client.ListJobsAsync(new JobQuery { Limit = 50 }))),
            ($"ListJobs, AfterId {deep:N0}", async q => Page(await q.Client.ListJobsAsync(new JobQuery { AfterId = deep, Limit = 50 }))),
            ("ListJobs, State Dead", async q => Page(await q.Client.ListJobsAsync(new JobQuery { State = JobState.Dead, Limit = 50 }))),
            ("ListJobs, State Pending", async q => Page(await q.Client.ListJobsAsync(new JobQuery { State = JobState.Pending, Limit = 50 }))),
            ("ListJobs, State Running", async q => Page(await q.Client.ListJobsAsync(new JobQuery { State = JobState.Running, Limit = 50 }))),
            ($"ListJobs, Type {DepthFile.Types[4]}", async q => Page(await q.Client.ListJobsAsync(new JobQuery { Type = DepthFile.Types[4], Limit = 50 }))),
            ($"ListJobs, Queue {DepthFile.Queues[3]}, State Dead", async q => Page(await q.Client.ListJobsAsync(new JobQuery { Queue = DepthFile.Queues[3], State = JobState.Dead, Limit = 50 }))),
            ("ListJobs, CreatedAfter 1 h ago", async q => Page(await q.Client.ListJobsAsync(new JobQuery
            {
                CreatedAfter = DateTimeOffset.UtcNow.AddHours(-1),
                Limit = 50,
            }))),
            ("GetJobAsync", async q => (await q.Client.GetJobAsync(deadJob))?.State.ToString() ?? "missing"),
            ("GetExecutionsAsync", async q => $"{(await q.Client.GetExecutionsAsync(deadJob)).Count} executions"),
            ("CountActiveAsync", async q => $"{await q.Client.CountActiveAsync():N0}"),
            ("CountJobsAsync(Dead)", async q => $"{await q.Maintenance.CountJobsAsync(new JobFilter(JobState.Dead)):N0}"),
            ("CountJobsAsync(Dead, Before 1 d ago)", async q =>
                $"{await q.Maintenance.CountJobsAsync(new JobFilter(JobState.Dead) { Before = DateTimeOffset.UtcNow.AddDays(-1) }):N0}"),
            ("GetStorageInfoAsync", async q => $"{(await q.Maintenance.GetStorageInfoAsync()).PageCount:N0} pages"),
            ("CheckHealthAsync", async q =>
            {
                var report = await q.Monitor.CheckHealthAsync();
                return report.Problems.Count == 0 ? $"{report.Status}" : $"{report.Status} ({string.Join(", ", report.Problems.Select(p => p.Figure))})";
            }),
            ("ListWorkersAsync", async q => $"{(await q.Monitor.ListWorkersAsync()).Count} workers"),
            ("Recurring.ListAsync", async q => $"{(await q.Recurring.ListAsync()).Count} schedules"),
        ];
    }

    private static async Task<AdminRead> TimeAsync(string path, string name, Func<SqliteJobQueue, Task<string>> read, int reps)
    {
        await using var queue = BenchmarkData.OpenQueue(path);
        var result = await read(queue);
        var ms = new double[reps];
        for (var i = 0; i < reps; i++)
        {
            var started = Stopwatch.GetTimestamp();
            result = await read(queue);
            ms[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(ms);
        var median = reps % 2 == 1 ? ms[reps / 2] : (ms[(reps / 2) - 1] + ms[reps / 2]) / 2;
        return new AdminRead(name, Math.Round(median, 3), Math.Round(ms[^1], 3), result);
    }

    /// <summary>The statements behind the reads, as the store renders them.</summary>
    private static void PrintPlans(string path) => DepthFile.PrintPlans(path,
    [
        (nameof(JobSql.CountByQueueAndState), JobSql.CountByQueueAndState),
        (nameof(JobSql.RunnableByQueue), JobSql.RunnableByQueue),
        (nameof(JobSql.ListJobs), JobSql.ListJobs),
        (nameof(JobSql.ListPendingJobs), JobSql.ListPendingJobs),
        (nameof(JobSql.ListRunningJobs), JobSql.ListRunningJobs),
        (nameof(JobSql.ListDeadJobs), JobSql.ListDeadJobs),
        (nameof(JobSql.GetJob), JobSql.GetJob),
        (nameof(JobSql.GetExecutions), JobSql.GetExecutions),
        (nameof(JobSql.CountActive), JobSql.CountActive),
        (nameof(MaintenanceSql.CountDeadJobs), MaintenanceSql.CountDeadJobs),
        (nameof(MonitoringSql.DeadSince), MonitoringSql.DeadSince),
        (nameof(MonitoringSql.ListLiveWorkers), MonitoringSql.ListLiveWorkers),
    ]);
}

/// <summary>One read's figures: the median and the slowest of the timed calls, and what the last call returned.</summary>
internal sealed record AdminRead(string Name, double MedianMs, double MaxMs, string Result);

internal sealed record AdminDepthResult(string Mode, long Jobs, int Reps, double? BuildSeconds, bool StatsMatchCount, IReadOnlyList<AdminRead> Reads);
