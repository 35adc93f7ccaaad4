using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using SqliteQueue.Benchmarks.EndToEnd;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Maintenance;
using SqliteQueue.Internal.Storage.Monitoring;
using SqliteQueue.Maintenance;
using SqliteQueue.Recurring;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// <c>admin-depth</c>: the reads an operator tool and a dashboard make, on a file of <c>--jobs</c> jobs (default
/// 1,000,000), so it shows which of them read counters and indexes and which scan. The file is built through the public
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
internal static partial class AdminDepth
{
    private const string Usage = "usage: admin-depth [--jobs N (default 1000000, at least 1000)] [--reps N (default 7)] [--keep path] [--plans yes]";

    private static readonly string[] Queues = ["default", "emails", "reports", "webhooks"];

    private static readonly string[] Types =
    [
        "orders.ship", "orders.refund", "emails.welcome", "emails.digest", "reports.daily",
        "reports.export", "webhooks.deliver", "invoices.render", "search.reindex", "images.resize",
    ];

    private static readonly TimeSpan History = TimeSpan.FromDays(7);
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    // Jobs are job i = id - 1. The newest 5 % stay live (one in fifty of them running, the rest pending); of the older
    // 95 %, a pseudo-random 400 in 9,500 die and 100 in 9,500 are cancelled (4 % and 1 % of the whole), the rest complete.
    private const string Completed = """
        UPDATE queue_jobs
        SET state = 'completed', attempt = 1, started_at = created_at + 40 + id % 500, finished_at = created_at + 90 + id % 2000
        WHERE id <= @old AND (id * 7919) % 9500 >= 500;
        """;

    private const string Dead = """
        UPDATE queue_jobs
        SET state = 'dead', attempt = max_attempts, started_at = created_at + 600000, finished_at = created_at + 600900,
            last_error = 'System.Net.Http.HttpRequestException: Connection refused (partner-api.example.com:443)' || char(10) ||
                         '   at Webhooks.Deliver.HandleAsync(JobContext`1 job, CancellationToken ct) in Deliver.cs:line 42 (job ' || id || ')'
        WHERE id <= @old AND (id * 7919) % 9500 < 400;
        """;

    private const string Cancelled = """
        UPDATE queue_jobs
        SET state = 'cancelled', finished_at = created_at + 5000
        WHERE id <= @old AND (id * 7919) % 9500 >= 400 AND (id * 7919) % 9500 < 500;
        """;

    // What a claim writes (JobSql.ClaimOneFifo): attempt counted, started, and a lease with an owner, a token and an expiry.
    private const string Running = """
        UPDATE queue_jobs
        SET state = 'running', attempt = 1, lease_owner = 'admin-depth-host:4242:1', lease_token = id,
            lease_expires_at = @lease_until, started_at = @now
        WHERE id > @old AND id % 50 = 0;
        """;

    private const string RebuildCounts = """
        DELETE FROM queue_counts;
        INSERT INTO queue_counts (queue, state, n)
        SELECT queue, state, COUNT(*) FROM queue_jobs WHERE state IN ('completed', 'dead', 'cancelled') GROUP BY queue, state;
        """;

    private const string DeadExecutions = """
        WITH RECURSIVE a(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM a WHERE n < 5)
        INSERT INTO queue_executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
        SELECT j.id, a.n, 'admin-depth-host:4242:1', j.created_at + a.n * 120000, j.created_at + a.n * 120000 + 900, 'failed', j.last_error
        FROM queue_jobs AS j INDEXED BY queue_jobs_dead JOIN a ON a.n <= j.attempt
        WHERE j.state = 'dead'
        ORDER BY j.id, a.n;
        """;

    private const string CompletedExecutions = """
        INSERT INTO queue_executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
        SELECT id, 1, 'admin-depth-host:4242:1', started_at, finished_at, 'completed', NULL
        FROM queue_jobs WHERE id > @from AND state = 'completed';
        """;

    private const string InsertWorker = """
        INSERT INTO queue_workers (id, host, process_id, queues, concurrency, started_at, heartbeat_at, expires_at)
        VALUES (@id, 'admin-depth-host', 4242, @queues, 8, @now, @now, @until);
        """;

    private const string CountByQueueAndState = "SELECT queue, state, COUNT(*) FROM queue_jobs GROUP BY queue, state;";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (!TryParse(args, out var jobs, out var reps, out var keep, out var plans))
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
            double? buildSeconds = null;
            if (reused)
            {
                PeerBenchmark.Print($"reusing {path} as it is");
            }
            else
            {
                var watch = Stopwatch.StartNew();
                await BuildAsync(path, jobs);
                buildSeconds = Math.Round(watch.Elapsed.TotalSeconds, 1);
                PeerBenchmark.Print($"built in {buildSeconds:F1} s");
            }

            var (fileJobs, statsMatchCount) = await CheckStatsAsync(path);
            PeerBenchmark.Print($"file: {fileJobs:N0} jobs, {new FileInfo(path).Length / (1024.0 * 1024):N0} MiB; GetStatsAsync equals COUNT(*) by queue and state: {statsMatchCount}");

            var reads = Reads(fileJobs, await FindDeadJobAsync(path));
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
            ($"ListJobs, Type {Types[4]}", async q => Page(await q.Client.ListJobsAsync(new JobQuery { Type = Types[4], Limit = 50 }))),
            ($"ListJobs, Queue {Queues[3]}, State Dead", async q => Page(await q.Client.ListJobsAsync(new JobQuery { Queue = Queues[3], State = JobState.Dead, Limit = 50 }))),
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

    private static async Task BuildAsync(string path, int jobs)
    {
        var buildNow = DateTimeOffset.UtcNow;
        var batches = (jobs + BenchmarkData.FillBatch - 1) / BenchmarkData.FillBatch;
        var step = History / batches;
        var clock = new ManualTimeProvider(buildNow - (step * (batches - 1)));
        var delayed = new EnqueueOptions[Queues.Length];
        var plain = new EnqueueOptions[Queues.Length];
        for (var q = 0; q < Queues.Length; q++)
        {
            plain[q] = new EnqueueOptions { Queue = Queues[q] };
            delayed[q] = new EnqueueOptions { Queue = Queues[q], RunAt = buildNow.AddDays(1) };
        }

        var live = jobs - (jobs / 20);
        var watch = Stopwatch.StartNew();
        await using (var queue = BenchmarkData.OpenQueue(path, clock))
        {
            var batch = new List<NewJob>(BenchmarkData.FillBatch);
            for (var start = 0; start < jobs; start += BenchmarkData.FillBatch)
            {
                batch.Clear();
                for (var i = start; i < Math.Min(jobs, start + BenchmarkData.FillBatch); i++)
                {
                    var q = i % Queues.Length;
                    var type = Types[(i / Queues.Length) % Types.Length];
                    var payload = i % 3 == 0
                        ? $$"""{"orderId":"ord-{{i:D8}}","tenant":"tenant-{{i % 37:D2}}","amount":{{i % 997}}}"""
                        : $$"""{"orderId":"ord-{{i:D8}}","amount":{{i % 997}}}""";
                    batch.Add(new NewJob(type, payload, i >= live && i % 10 == 1 ? delayed[q] : plain[q]));
                }

                await queue.Client.EnqueueManyAsync(batch);
                clock.Advance(step);
            }

            for (var s = 0; s < 20; s++)
            {
                await queue.Recurring.UpsertAsync(new RecurringJobDefinition($"report-{s:D2}", Types[s % Types.Length], $"{s % 60} * * * *")
                {
                    Queue = Queues[s % Queues.Length],
                    PayloadJson = $$"""{"tenant":"tenant-{{s:D2}}"}""",
                });
            }
        }

        PeerBenchmark.Print($"enqueued {jobs:N0} jobs in {batches:N0} calls of EnqueueManyAsync: {watch.Elapsed.TotalSeconds:F1} s");
        watch.Restart();
        using var connection = BenchmarkData.OpenRawConnection(path);
        var now = buildNow.ToUnixTimeMilliseconds();
        var parameters = new Dictionary<string, object>
        {
            ["@old"] = (long)live,
            ["@now"] = now,
            ["@lease_until"] = buildNow.AddDays(1).ToUnixTimeMilliseconds(),
            ["@from"] = (long)(jobs - (jobs / 10)),
        };
        foreach (var (state, sql) in new[] { ("completed", Completed), ("dead", Dead), ("cancelled", Cancelled), ("running", Running) })
        {
            var changed = Write(connection, sql, parameters);
            PeerBenchmark.Print($"UPDATE to {state}: {changed:N0} jobs, {watch.Elapsed.TotalSeconds:F1} s");
            watch.Restart();
        }

        // The counts say nothing of the updates yet: show it, then rebuild them.
        var counted = BenchmarkData.Scalar(connection, "SELECT COALESCE(SUM(n), 0) FROM queue_counts;");
        var finished = BenchmarkData.Scalar(connection, "SELECT COUNT(*) FROM queue_jobs WHERE state IN ('completed', 'dead', 'cancelled');");
        PeerBenchmark.Print($"finished counts after the raw updates: {counted:N0}, against {finished:N0} finished rows; rebuilding them from the table");
        Write(connection, RebuildCounts, parameters);
        var executions = Write(connection, DeadExecutions, parameters) + Write(connection, CompletedExecutions, parameters);
        for (var w = 0; w < 3; w++)
        {
            Write(connection, InsertWorker, new Dictionary<string, object>
            {
                ["@id"] = $"admin-depth-host:4242:{w + 1}",
                ["@queues"] = JsonSerializer.Serialize(Queues.Skip(w).ToArray()),
                ["@now"] = now,
                ["@until"] = buildNow.AddDays(1).ToUnixTimeMilliseconds(),
            });
        }

        BenchmarkData.Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        PeerBenchmark.Print($"counts rebuilt, {executions:N0} executions and 3 workers written, checkpointed: {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static long Write(SqliteConnection connection, string sql, Dictionary<string, object> parameters)
    {
        using var tx = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.CommandTimeout = 0;
        foreach (var (name, value) in parameters)
        {
            if (sql.Contains(name, StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(name, value);
            }
        }

        var changed = command.ExecuteNonQuery();
        tx.Commit();
        return changed;
    }

    /// <summary>The jobs in the file, and whether the queue's statistics equal <c>COUNT(*)</c> by queue and state.</summary>
    private static async Task<(long Jobs, bool Match)> CheckStatsAsync(string path)
    {
        QueueStats stats;
        await using (var queue = BenchmarkData.OpenQueue(path))
        {
            stats = await queue.Client.GetStatsAsync();
        }

        var fromStats = new Dictionary<(string, string), long>();
        foreach (var q in stats.Queues)
        {
            foreach (var (state, n) in new[] { ("pending", q.Pending), ("running", q.Running), ("completed", q.Completed), ("dead", q.Dead), ("cancelled", q.Cancelled) })
            {
                if (n != 0)
                {
                    fromStats[(q.Queue, state)] = n;
                }
            }
        }

        var counted = new Dictionary<(string, string), long>();
        using (var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = CountByQueueAndState;
            command.CommandTimeout = 0;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                counted[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
            }
        }

        foreach (var state in new[] { "pending", "running", "completed", "dead", "cancelled" })
        {
            var n = counted.Where(kv => kv.Key.Item2 == state).Sum(kv => kv.Value);
            PeerBenchmark.Print($"  {state,-9} {n,9:N0} ({100.0 * n / Math.Max(1, counted.Values.Sum()):F1} %)");
        }

        var match = fromStats.Count == counted.Count && fromStats.All(kv => counted.GetValueOrDefault(kv.Key) == kv.Value);
        return (counted.Values.Sum(), match);
    }

    /// <summary>A dead job from the middle of the file: the one a dashboard opens from the dead-letter list.</summary>
    private static async Task<long> FindDeadJobAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var middle = BenchmarkData.Scalar(connection, "SELECT MAX(id) / 2 FROM queue_jobs;");
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT MIN(id) FROM queue_jobs WHERE state = 'dead' AND id >= @middle;";
        command.Parameters.AddWithValue("@middle", middle);
        return await command.ExecuteScalarAsync() is long id ? id : 1;
    }

    /// <summary>The statements behind the reads, as the store renders them; the parameters are bound to NULL (no ANALYZE, so the plan does not depend on them).</summary>
    private static void PrintPlans(string path)
    {
        (string Name, string Sql)[] statements =
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
        ];
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        PeerBenchmark.Print("");
        foreach (var (name, sql) in statements)
        {
            PeerBenchmark.Print($"EXPLAIN QUERY PLAN {name}:");
            using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + SqlText.Render(sql, BenchmarkData.Prefix);
            foreach (var parameter in ParameterNames().Matches(command.CommandText).Select(m => m.Value).Distinct())
            {
                command.Parameters.AddWithValue(parameter, DBNull.Value);
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                PeerBenchmark.Print($"  {reader.GetString(3)}");
            }
        }
    }

    [GeneratedRegex("@[a-z_]+")]
    private static partial Regex ParameterNames();

    private static bool TryParse(IReadOnlyList<string> args, out int jobs, out int reps, out string? keep, out bool plans)
    {
        jobs = 1_000_000;
        reps = 7;
        keep = null;
        plans = false;
        for (var i = 0; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count)
            {
                return false;
            }

            var value = args[i + 1];
            switch (args[i])
            {
                case "--jobs" when Int(value) is >= 1_000 and var v:
                    jobs = v;
                    break;
                case "--reps" when Int(value) is > 0 and var v:
                    reps = v;
                    break;
                case "--plans" when value is "yes" or "no":
                    plans = value == "yes";
                    break;
                case "--keep" when !string.IsNullOrWhiteSpace(value):
                    keep = Path.GetFullPath(value);
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private static int Int(string text) =>
        int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;
}

/// <summary>One read's figures: the median and the slowest of the timed calls, and what the last call returned.</summary>
internal sealed record AdminRead(string Name, double MedianMs, double MaxMs, string Result);

internal sealed record AdminDepthResult(string Mode, long Jobs, int Reps, double? BuildSeconds, bool StatsMatchCount, IReadOnlyList<AdminRead> Reads);
