using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteQueue.Benchmarks.EndToEnd;
using SqliteQueue.Dashboard;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Monitoring;
using SqliteQueue.Internal.Storage.Recurring;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// <c>dashboard-depth</c>: every data request the dashboard's pages make, over HTTP, on the <c>admin-depth</c> file of
/// <c>--jobs</c> jobs (default 1,000,000; see <see cref="DepthFile"/>). The file is built, or with <c>--keep path</c>
/// built there and kept, or read as it is when <c>path</c> exists. An ASP.NET Core application on Kestrel
/// (<c>http://127.0.0.1:0</c>) serves it with <c>AddSqliteQueue</c> (maintenance off, no workers, no scheduler),
/// <c>AddSqliteQueueDashboard</c> and <c>MapSqliteQueueDashboard("/jobs")</c>; an <see cref="HttpClient"/> makes each
/// request as the page does (the jobs page always sends <c>limit=50</c>), once untimed, then <c>--reps</c> times
/// (default 7), reading the whole answer. The payload searches are listed apart: a user types them, no page load makes
/// them. Each request's library calls are then timed alone on the application's own <see cref="SqliteJobQueue"/> (the
/// same warm-up and repetitions), and the overview's five calls one by one, so the table shows where the time goes:
/// the store, or HTTP and JSON. <c>--plans yes</c> prints the <c>EXPLAIN QUERY PLAN</c> of the statements involved.
/// Prints the tables, then one JSON line.
/// </summary>
internal static class DashboardDepth
{
    private const string Usage = "usage: dashboard-depth [--jobs N (default 1000000, at least 1000)] [--reps N (default 7)] [--keep path] [--plans yes]";

    /// <summary>A request slower than this, at the median, gets its reason in docs/benchmarks.md.</summary>
    private const double SlowMs = 50;

    private const string Schedule = "report-00";

    // Payloads with a tenant are job i with i % 3 == 0, tenant i % 37: "tenant-05" is in 1 payload in 111 (0.9 %);
    // tenants run from 00 to 36, so "tenant-99" is in none.
    private const string FoundText = "tenant-05";
    private const string MissingText = "tenant-99";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (!DepthFile.TryParseArgs(args, out var jobs, out var reps, out var keep, out var plans))
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        PeerBenchmark.Print($"dashboard-depth: {jobs:N0} jobs, {reps} timed requests each; {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                            $"SQLite {PeerBenchmark.SqliteVersion()}, load average {LoadRig.MachineLoad()}");
        var path = keep ?? BenchmarkData.NewDatabasePath();
        var reused = keep is not null && File.Exists(keep);
        try
        {
            var buildSeconds = await DepthFile.PrepareAsync(path, reused, jobs);
            var (fileJobs, statsMatchCount) = await DepthFile.CheckStatsAsync(path);
            var deadJob = await DepthFile.FindDeadJobAsync(path);
            PeerBenchmark.Print($"file: {fileJobs:N0} jobs, {new FileInfo(path).Length / (1024.0 * 1024):N0} MiB; GetStatsAsync equals COUNT(*) by queue and state: {statsMatchCount}");

            List<DashboardTiming> requests = [];
            List<DashboardTiming> parts = [];
            await using (var app = await StartAsync(path))
            {
                var root = app.Urls.Single().TrimEnd('/') + "/jobs/";
                PeerBenchmark.Print($"dashboard at {root}");
                using var http = new HttpClient { BaseAddress = new Uri(root), Timeout = TimeSpan.FromMinutes(5) };
                var queue = app.Services.GetRequiredService<SqliteJobQueue>();
                foreach (var request in Requests(fileJobs, deadJob))
                {
                    var (median, max, result) = await TimeAsync(reps, async () => Describe(await GetAsync(http, request.Path)));
                    var (libraryMedian, libraryMax, _) = await TimeAsync(reps, async () =>
                    {
                        await request.Library(queue);
                        return "";
                    });
                    requests.Add(new DashboardTiming(request.Kind, request.Path, median, max, median > SlowMs, request.Calls, libraryMedian, libraryMax, result));
                }

                foreach (var (name, call) in OverviewParts())
                {
                    var (median, max, result) = await TimeAsync(reps, () => call(queue));
                    parts.Add(new DashboardTiming("overview part", name, median, max, median > SlowMs, name, median, max, result));
                }

                await app.StopAsync();
            }

            PrintTable(requests, parts);
            if (plans)
            {
                PrintPlans(path);
            }

            PeerBenchmark.Print($"load average {LoadRig.MachineLoad()}");
            Console.WriteLine(JsonSerializer.Serialize(
                new DashboardDepthResult("dashboard-depth", fileJobs, reps, buildSeconds, statsMatchCount, requests, parts), JsonOptions));
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

    /// <summary>The dashboard as an application would host it, on a port the system picks; no workers, no maintenance.</summary>
    private static async Task<WebApplication> StartAsync(string path)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSqliteQueue(o => o.ConnectionString = $"Data Source={path}")
            .ConfigureMaintenance(m => m.Enabled = false);
        builder.Services.AddSqliteQueueDashboard();
        var app = builder.Build();
        app.MapSqliteQueueDashboard("/jobs");
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// The pages' data requests, as the page makes them (parameters in its order: state, queue, type, search, after,
    /// limit), then the two payload searches; each with the library calls behind it.
    /// </summary>
    private static List<DashboardRequest> Requests(long jobs, long deadJob)
    {
        static JobQuery Page(JobState? state = null, string? queue = null, string? type = null, string? search = null, long after = 0) =>
            new() { State = state, Queue = queue, Type = type, PayloadContains = search, AfterId = after, Limit = 50 };

        static DashboardRequest Jobs(string kind, string path, JobQuery query) =>
            new(kind, path, "Client.ListJobsAsync", async q => await q.Client.ListJobsAsync(query));

        // Near the end: among the newest jobs (pending and running at the default size), a page from the last.
        var after = Math.Max(0, jobs - 1_000);
        var type = DepthFile.Types[4];
        var queue = DepthFile.Queues[3];
        const string page = "page";
        const string search = "search";
        return
        [
            new(page, "api/overview", "the five calls below", async q =>
            {
                foreach (var (_, call) in OverviewParts())
                {
                    await call(q);
                }
            }),
            Jobs(page, "api/jobs?limit=50", Page()),
            Jobs(page, $"api/jobs?after={after}&limit=50", Page(after: after)),
            Jobs(page, "api/jobs?state=dead&limit=50", Page(JobState.Dead)),
            Jobs(page, "api/jobs?state=pending&limit=50", Page(JobState.Pending)),
            Jobs(page, "api/jobs?state=running&limit=50", Page(JobState.Running)),
            Jobs(page, "api/jobs?state=completed&limit=50", Page(JobState.Completed)),
            Jobs(page, $"api/jobs?state=dead&queue={queue}&limit=50", Page(JobState.Dead, queue)),
            Jobs(page, $"api/jobs?type={type}&limit=50", Page(type: type)),
            new(page, $"api/jobs/{deadJob}", "Client.GetJobAsync + GetExecutionsAsync", async q =>
            {
                await q.Client.GetJobAsync(deadJob);
                await q.Client.GetExecutionsAsync(deadJob);
            }),
            new(page, "api/recurring", "Recurring.ListAsync", async q => await q.Recurring.ListAsync()),
            new(page, $"api/recurring/{Schedule}/history?limit=50", "Recurring.GetAsync + GetHistoryAsync", async q =>
            {
                await q.Recurring.GetAsync(Schedule);
                await q.Recurring.GetHistoryAsync(Schedule, 50);
            }),
            new(page, "api/workers", "Monitor.ListWorkersAsync", async q => await q.Monitor.ListWorkersAsync()),
            new(page, "api/storage", "Maintenance.GetStorageInfoAsync", async q => await q.Maintenance.GetStorageInfoAsync()),
            Jobs(search, $"api/jobs?search={FoundText}&limit=50", Page(search: FoundText)),
            Jobs(search, $"api/jobs?search={MissingText}&limit=50", Page(search: MissingText)),
        ];
    }

    /// <summary>What <c>api/overview</c> calls, in its order, each returning a few words on what it found.</summary>
    private static List<(string Name, Func<SqliteJobQueue, Task<string>> Call)> OverviewParts() =>
    [
        ("Client.GetStatsAsync", async q => $"{(await q.Client.GetStatsAsync()).Queues.Count} queues"),
        ("Monitor.ListWorkersAsync", async q => $"{(await q.Monitor.ListWorkersAsync()).Count} workers"),
        ("Recurring.ListAsync", async q => $"{(await q.Recurring.ListAsync()).Count} schedules"),
        ("Monitor.CheckHealthAsync", async q => $"{(await q.Monitor.CheckHealthAsync()).Status}"),
        ("Monitor.GetThroughputAsync(now - 1 h, 1 min)", async q =>
            $"{(await q.Monitor.GetThroughputAsync(DateTimeOffset.UtcNow.AddHours(-1), TimeSpan.FromMinutes(1))).Count} buckets"),
    ];

    private static async Task<(int Bytes, JsonDocument Json)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        }

        return (body.Length, JsonDocument.Parse(body));
    }

    /// <summary>A few words on an answer: the jobs listed, a job's state, the rows of a list, and its size.</summary>
    private static string Describe((int Bytes, JsonDocument Json) answer)
    {
        using var json = answer.Json;
        var root = json.RootElement;
        string what;
        if (root.TryGetProperty("jobs", out var jobs))
        {
            var ids = jobs.EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ToList();
            what = $"{ids.Count} jobs" + (ids.Count > 0 ? $", ids {ids[0]}..{ids[^1]}" : "");
        }
        else if (root.TryGetProperty("health", out var health))
        {
            what = $"health {health.GetProperty("status").GetString()}, {root.GetProperty("throughput").GetProperty("buckets").GetArrayLength()} buckets";
        }
        else if (root.TryGetProperty("job", out var job))
        {
            what = $"{job.GetProperty("state").GetString()}, {root.GetProperty("executions").GetArrayLength()} executions";
        }
        else if (root.TryGetProperty("storage", out var storage))
        {
            what = $"{storage.GetProperty("pageCount").GetInt64():N0} pages";
        }
        else
        {
            var property = root.EnumerateObject().First();
            what = $"{property.Value.GetArrayLength()} {property.Name}";
        }

        return $"{what}; {answer.Bytes:N0} B";
    }

    /// <summary>One untimed call, then <paramref name="reps"/> timed ones: the median and the slowest, and the last result.</summary>
    private static async Task<(double Median, double Max, string Result)> TimeAsync(int reps, Func<Task<string>> call)
    {
        var result = await call();
        var ms = new double[reps];
        for (var i = 0; i < reps; i++)
        {
            var started = Stopwatch.GetTimestamp();
            result = await call();
            ms[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(ms);
        var median = reps % 2 == 1 ? ms[reps / 2] : (ms[(reps / 2) - 1] + ms[reps / 2]) / 2;
        return (Math.Round(median, 3), Math.Round(ms[^1], 3), result);
    }

    private static void PrintTable(List<DashboardTiming> requests, List<DashboardTiming> parts)
    {
        var width = requests.Concat(parts).Max(r => r.Request.Length);
        PeerBenchmark.Print("");
        PeerBenchmark.Print($"{"request".PadRight(width)}  {"median ms",10}  {"max ms",10}  {"> 50 ms",7}  {"library ms",10}  result");
        string? kind = null;
        foreach (var r in requests.Concat(parts))
        {
            if (r.Kind != kind)
            {
                kind = r.Kind;
                PeerBenchmark.Print(kind switch
                {
                    "page" => "-- page loads (library ms: the same calls on the application's SqliteJobQueue, without HTTP)",
                    "search" => "-- a user's explicit payload search, not a page load",
                    _ => "-- api/overview's calls one by one, on the library",
                });
            }

            PeerBenchmark.Print(string.Create(CultureInfo.InvariantCulture,
                $"{r.Request.PadRight(width)}  {r.MedianMs,10:F2}  {r.MaxMs,10:F2}  {(r.OverSlow ? "yes" : "no"),7}  {r.LibraryMedianMs,10:F2}  {r.Result}"));
        }
    }

    /// <summary>The statements behind the requests, as the store renders them.</summary>
    private static void PrintPlans(string path) => DepthFile.PrintPlans(path,
    [
        (nameof(JobSql.CountByQueueAndState), JobSql.CountByQueueAndState),
        (nameof(JobSql.RunnableByQueue), JobSql.RunnableByQueue),
        (nameof(MonitoringSql.DeadSince), MonitoringSql.DeadSince),
        (nameof(MonitoringSql.BrokenRecurring), MonitoringSql.BrokenRecurring),
        (nameof(MonitoringSql.ThroughputSince), MonitoringSql.ThroughputSince),
        (nameof(MonitoringSql.ListLiveWorkers), MonitoringSql.ListLiveWorkers),
        (nameof(RecurringSql.List), RecurringSql.List),
        (nameof(RecurringSql.History), RecurringSql.History),
        (nameof(JobSql.ListJobs), JobSql.ListJobs),
        (nameof(JobSql.ListPendingJobs), JobSql.ListPendingJobs),
        (nameof(JobSql.ListRunningJobs), JobSql.ListRunningJobs),
        (nameof(JobSql.ListCompletedJobs), JobSql.ListCompletedJobs),
        (nameof(JobSql.ListDeadJobs), JobSql.ListDeadJobs),
        (nameof(JobSql.GetJob), JobSql.GetJob),
        (nameof(JobSql.GetExecutions), JobSql.GetExecutions),
    ]);
}

/// <summary>One dashboard request as the page makes it, and the library calls that answer it.</summary>
internal sealed record DashboardRequest(string Kind, string Path, string Calls, Func<SqliteJobQueue, Task> Library);

/// <summary>
/// One request's figures: the median and the slowest of the timed requests, whether the median is over 50 ms, the same
/// for its library calls alone, and what the last answer held.
/// </summary>
internal sealed record DashboardTiming(
    string Kind, string Request, double MedianMs, double MaxMs, bool OverSlow, string Calls, double LibraryMedianMs, double LibraryMaxMs, string Result);

internal sealed record DashboardDepthResult(
    string Mode, long Jobs, int Reps, double? BuildSeconds, bool StatsMatchCount, IReadOnlyList<DashboardTiming> Requests, IReadOnlyList<DashboardTiming> OverviewParts);
