using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// The <c>peer</c> mode: end-to-end figures in real time (Stopwatch), each on a new temporary file with the queue's
/// default PRAGMAs (WAL, synchronous=NORMAL unless stated). It prints one line per figure and ends with one JSON line.
/// </summary>
/// <remarks>
/// The workers run as the library's hosted services: the service collection gets <c>AddSqliteQueue</c>,
/// <c>AddHandler</c> and <c>AddWorker</c>, and the <see cref="IHostedService"/> instances it registers are started and
/// stopped the way a Generic Host starts and stops them.
/// </remarks>
internal static partial class PeerBenchmark
{
    public const string LatencyJobType = "latency.probe";
    private const int DrainBatch = 32;
    private static readonly TimeSpan SampleTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>peer-drain [jobs] [concurrency...] [--telemetry none|listener|otel]</c>: only W2 and the raw cycle, for a
    /// quick look while tuning the worker. <c>--telemetry</c> installs a listener on the queue's traces and metrics
    /// (see <see cref="TelemetryListener"/>) before the warm-up, so drains with and without one can be compared;
    /// benchmarks/telemetry-cost.sh alternates such runs with a build from before the telemetry.
    /// </summary>
    public static async Task<int> DrainOnlyAsync(IReadOnlyList<string> args)
    {
        var listener = TelemetryListener.None;
        var positional = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] != "--telemetry")
            {
                positional.Add(args[i]);
            }
            else if (i + 1 < args.Count && TelemetryListeners.TryParse(args[++i], out listener))
            {
                continue;
            }
            else
            {
                await Console.Error.WriteLineAsync($"usage: peer-drain [jobs] [concurrency...] [--telemetry {TelemetryListeners.Choices}]");
                return 2;
            }
        }

        // Installed before the warm-up, as an application installs it at start, so the listener's own first-call
        // costs are paid outside the measured drains too.
        using var telemetry = TelemetryListeners.Install(listener);
        var jobs = positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 20_000;
        var levels = positional.Count > 1 ? positional.Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1, 4, 8, 16];
        await DrainAsync(Math.Min(jobs, 1_000), 4, SynchronousMode.Normal);
        RawCycle(Math.Min(jobs, 1_000), bareComplete: false);
        foreach (var concurrency in levels)
        {
            var figure = await DrainAsync(jobs, concurrency, SynchronousMode.Normal);
            Print($"W2 drain, concurrency {concurrency}: {figure.JobsPerSecond:N0} jobs/s, {figure.BytesPerJob:N0} B/job, {figure.CpuCores:F2} cores");
        }

        var cycle = RawCycle(jobs, bareComplete: false);
        Print($"raw claim-32 + complete-32 cycle: {cycle.JobsPerSecond:N0} jobs/s");
        Print(telemetry.Describe());
        return 0;
    }

    /// <summary><c>peer-latency [samples]</c>: only the in-process pickup latency (W3), for tuning.</summary>
    public static async Task<int> LatencyOnlyAsync(IReadOnlyList<string> args)
    {
        var samples = args.Count > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        await InProcessLatencyAsync(20);
        var figure = await InProcessLatencyAsync(samples);
        Print($"W3 in-process enqueue -> handler start: p50 {figure.P50Ms:F3} ms, p99 {figure.P99Ms:F3} ms ({figure.Samples} samples)");
        return 0;
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = PeerOptions.Parse(args);
        if (options is null)
        {
            await Console.Error.WriteLineAsync(PeerOptions.Usage);
            return 2;
        }

        var total = Stopwatch.StartNew();
        var n = options.Jobs;
        Print($"peer: {n:N0} jobs, {options.LatencySamples} latency samples, {options.IdleSeconds} s idle; " +
              $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, SQLite {SqliteVersion()}, " +
              $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC");

        // Warm-up: every path once, small, so the measurements do not include JIT compilation.
        var warm = Math.Min(n, 1_000);
        await EnqueueLibraryAsync(warm);
        EnqueueRaw(warm);
        await DrainAsync(warm, 4, SynchronousMode.Normal);
        RawCycle(warm, bareComplete: false);
        RawCycle(warm, bareComplete: true);

        // W1
        // Each throughput figure is the median of Repeats runs, each on its own new file; the spread is printed beside it.
        var enqueueRaw = await MedianAsync(() => Task.FromResult(EnqueueRaw(n)), r => r.JobsPerSecond);
        var enqueueLib = await MedianAsync(() => EnqueueLibraryAsync(n), r => r.JobsPerSecond);
        Print($"W1 enqueue, one EnqueueAsync per job, 1 thread: {enqueueLib.JobsPerSecond:N0} jobs/s " +
              $"({enqueueLib.Seconds:F3} s, {enqueueLib.BytesPerJob:N0} B allocated/job; runs {enqueueLib.Spread})");
        Print($"W1 raw prepared INSERT, BEGIN IMMEDIATE/COMMIT per row: {enqueueRaw.JobsPerSecond:N0} jobs/s " +
              $"({enqueueRaw.Seconds:F3} s, {enqueueRaw.BytesPerJob:N0} B allocated/job; runs {enqueueRaw.Spread})");
        Print($"W1 ratio queue/raw (throughput): {enqueueLib.JobsPerSecond / enqueueRaw.JobsPerSecond:F2}");

        // W2
        var drains = new List<DrainFigure>();
        foreach (var (concurrency, sync) in new[] { (1, SynchronousMode.Normal), (4, SynchronousMode.Normal), (8, SynchronousMode.Normal), (16, SynchronousMode.Normal), (4, SynchronousMode.Full) })
        {
            var d = await MedianAsync(() => DrainAsync(n, concurrency, sync), r => r.JobsPerSecond);
            drains.Add(d);
            Print($"W2 drain, concurrency {concurrency,2}, synchronous={sync}: {d.JobsPerSecond:N0} jobs/s ({d.Seconds:F3} s, " +
                  $"{d.BytesPerJob:N0} B allocated/job, CPU {d.CpuCores:F2} cores; runs {d.Spread})");
        }

        var cycle = await MedianAsync(() => Task.FromResult(RawCycle(n, bareComplete: false)), r => r.JobsPerSecond);
        var cycleBare = await MedianAsync(() => Task.FromResult(RawCycle(n, bareComplete: true)), r => r.JobsPerSecond);
        Print($"W2 raw claim-32 + complete-32 (the queue's CompleteJob statement per job, history rows written): {cycle.JobsPerSecond:N0} jobs/s ({cycle.Seconds:F3} s; runs {cycle.Spread})");
        Print($"W2 raw claim-32 + complete-32 (one bare UPDATE for the 32, no history rows): {cycleBare.JobsPerSecond:N0} jobs/s ({cycleBare.Seconds:F3} s; runs {cycleBare.Spread})");
        var best = drains.Where(d => d.Synchronous == "Normal").MaxBy(d => d.JobsPerSecond)!;
        Print($"W2 ratio queue/raw (best queue figure, concurrency {best.Concurrency}): {best.JobsPerSecond / cycle.JobsPerSecond:F2} " +
              $"(against the bare UPDATE: {best.JobsPerSecond / cycleBare.JobsPerSecond:F2})");

        // W3, idle CPU, and what the wake-up file costs an enqueue (see PeerLatency.cs)
        var (w3, idle, wake) = await LatencyFiguresAsync(options);

        if (options.Diagnostics)
        {
            await PeerDiagnostics.RunAsync(n);
        }

        Print($"total {total.Elapsed.TotalSeconds:F1} s");
        var result = new PeerResult(
            Jobs: n,
            Cores: Environment.ProcessorCount,
            Runtime: Environment.Version.ToString(),
            Sqlite: SqliteVersion(),
            W1: new W1Result(enqueueLib.JobsPerSecond, enqueueRaw.JobsPerSecond, enqueueLib.JobsPerSecond / enqueueRaw.JobsPerSecond, enqueueLib.BytesPerJob),
            W2: new W2Result(drains, cycle.JobsPerSecond, cycleBare.JobsPerSecond, best.JobsPerSecond / cycle.JobsPerSecond),
            W3: w3,
            IdleCpuPercent: idle,
            Seconds: Math.Round(total.Elapsed.TotalSeconds, 1),
            Wake: wake);
        Console.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
        return 0;
    }

    private const int Repeats = 3;

    /// <summary>Runs a measurement <see cref="Repeats"/> times and returns the median run, with every run's rate attached.</summary>
    private static async Task<T> MedianAsync<T>(Func<Task<T>> measure, Func<T, double> rate)
        where T : IHasSpread<T>
    {
        var runs = new List<T>(Repeats);
        for (var i = 0; i < Repeats; i++)
        {
            runs.Add(await measure());
        }

        var ordered = runs.OrderBy(rate).ToList();
        var spread = string.Join(" / ", runs.Select(r => rate(r).ToString("N0", CultureInfo.InvariantCulture)));
        return ordered[ordered.Count / 2].WithSpread(spread);
    }

    // ---- W1 ----

    private static async Task<Rate> EnqueueLibraryAsync(int jobs, bool crossProcessWake = true)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            var options = BenchmarkData.QueueOptions(path);
            options.CrossProcessWake = crossProcessWake;
            using var queue = new SqliteJobQueue(options);
            await queue.InitializeAsync();
            var payloads = Enumerable.Range(0, jobs).Select(BenchmarkData.Payload).ToArray();
            var client = queue.Client;
            var allocated = StartAllocations();
            var watch = Stopwatch.StartNew();
            foreach (var payload in payloads)
            {
                await client.EnqueueAsync(BenchmarkData.JobType, payload);
            }

            watch.Stop();
            return new Rate(jobs, watch.Elapsed, (GC.GetTotalAllocatedBytes(true) - allocated) / (double)jobs);
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    private static Rate EnqueueRaw(int jobs)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            using var connection = BenchmarkData.OpenRawConnection(path);
            using var insert = BenchmarkData.PrepareRawInsert(connection);
            var options = new SqliteQueueOptions();
            var json = Enumerable.Range(0, jobs).Select(i => BenchmarkData.PayloadJson(i, options)).ToArray();
            var allocated = StartAllocations();
            var watch = Stopwatch.StartNew();
            foreach (var payload in json)
            {
                using var tx = connection.BeginTransaction();
                insert.Transaction = tx;
                BenchmarkData.RawInsert(insert, payload, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                tx.Commit();
            }

            watch.Stop();
            insert.Transaction = null;
            return new Rate(jobs, watch.Elapsed, (GC.GetTotalAllocatedBytes(true) - allocated) / (double)jobs);
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    // ---- W2 ----

    /// <summary>Fills a new file with <paramref name="jobs"/> waiting jobs, then times the hosted worker from start until the queue is idle.</summary>
    private static async Task<DrainFigure> DrainAsync(int jobs, int concurrency, SynchronousMode synchronous)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            var probe = new DrainProbe(jobs);
            var prefetch = Environment.GetEnvironmentVariable("SQLITEQUEUE_PREFETCH");
            await using var provider = BuildHost(path, synchronous, w => { w.Concurrency = concurrency; if (prefetch is not null) { w.Prefetch = int.Parse(prefetch, CultureInfo.InvariantCulture); } var batch = Environment.GetEnvironmentVariable("SQLITEQUEUE_BATCH"); if (batch is not null) { w.BatchSize = int.Parse(batch, CultureInfo.InvariantCulture); } }, probe, new LatencyProbe());
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await FillAsync(queue, jobs);
            var hosted = provider.GetServices<IHostedService>().ToArray();

            var process = Process.GetCurrentProcess();
            var allocated = StartAllocations();
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            // The handlers' count says when the last handler ran; the idle wait then sees its completion committed.
            // (Waiting on WaitUntilIdleAsync alone from the start would add a reader that wakes on every completion.)
            await probe.AllHandled.Task.WaitAsync(TimeSpan.FromMinutes(10));
            await queue.Client.WaitUntilIdleAsync(QueueNames.Default);
            watch.Stop();
            process.Refresh();
            var cpuUsed = process.TotalProcessorTime - cpu;
            var bytes = GC.GetTotalAllocatedBytes(true) - allocated;

            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            var stats = await CountByStateAsync(path);
            if (stats.GetValueOrDefault("completed") != jobs || probe.Handled != jobs)
            {
                throw new InvalidOperationException(
                    $"Drain check failed: {probe.Handled} handled, states {string.Join(", ", stats.Select(kv => $"{kv.Key}={kv.Value}"))}.");
            }

            return new DrainFigure(concurrency, synchronous.ToString(), jobs / watch.Elapsed.TotalSeconds, watch.Elapsed.TotalSeconds,
                bytes / (double)jobs, cpuUsed.TotalSeconds / watch.Elapsed.TotalSeconds);
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    /// <summary>
    /// The raw cycle on the queue's schema: claim 32 with the queue's prepared claim statement in one transaction,
    /// then complete those 32 in one transaction, until nothing is left.
    /// </summary>
    private static Rate RawCycle(int jobs, bool bareComplete)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            using var connection = BenchmarkData.OpenRawConnection(path);
            using (var insert = BenchmarkData.PrepareRawInsert(connection))
            {
                var options = new SqliteQueueOptions();
                using var tx = connection.BeginTransaction();
                insert.Transaction = tx;
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1;
                for (var i = 0; i < jobs; i++)
                {
                    BenchmarkData.RawInsert(insert, BenchmarkData.PayloadJson(i, options), 0, now);
                }

                tx.Commit();
            }

            using var claim = connection.CreateCommand();
            claim.CommandText = SqlText.Render(RawSql.ClaimManyFifo, BenchmarkData.Prefix);
            foreach (var name in new[] { "@queue", "@now", "@owner", "@token", "@until", "@limit" })
            {
                claim.Parameters.Add(new SqliteParameter(name, null));
            }

            claim.Parameters["@queue"].Value = QueueNames.Default;
            claim.Parameters["@owner"].Value = "bench-worker";
            claim.Parameters["@limit"].Value = DrainBatch;
            claim.Prepare();

            using var complete = connection.CreateCommand();
            if (bareComplete)
            {
                var ids = string.Join(", ", Enumerable.Range(0, DrainBatch).Select(i => $"@id{i}"));
                complete.CommandText =
                    $"UPDATE {BenchmarkData.Prefix}jobs SET state = 'completed', finished_at = @now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL " +
                    $"WHERE id IN ({ids}) AND state = 'running' AND lease_token = @token;";
                for (var i = 0; i < DrainBatch; i++)
                {
                    complete.Parameters.Add(new SqliteParameter($"@id{i}", null));
                }
            }
            else
            {
                complete.CommandText = SqlText.Render(JobSql.CompleteJob, BenchmarkData.Prefix);
                complete.Parameters.Add(new SqliteParameter("@id", null));
            }

            complete.Parameters.Add(new SqliteParameter("@token", null));
            complete.Parameters.Add(new SqliteParameter("@now", null));
            complete.Prepare();

            var claimed = new List<long>(DrainBatch);
            var done = 0;
            var allocated = StartAllocations();
            var watch = Stopwatch.StartNew();
            while (true)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var token = Random.Shared.NextInt64(1, long.MaxValue);
                claimed.Clear();
                using (var tx = connection.BeginTransaction())
                {
                    claim.Transaction = tx;
                    var p = claim.Parameters;
                    p["@now"].Value = now;
                    p["@token"].Value = token;
                    p["@until"].Value = now + 30_000;
                    using (var reader = claim.ExecuteReader())
                    {
                        while (reader.Read())
                        {
                            // Every column the queue reads.
                            claimed.Add(reader.GetInt64(0));
                            _ = reader.GetString(1).Length + reader.GetString(2).Length + reader.GetString(3).Length;
                            _ = reader.GetInt32(4) + reader.GetInt32(5) + reader.GetInt32(6);
                            _ = reader.IsDBNull(7) ? 0 : reader.GetInt64(7);
                            _ = reader.GetInt64(8) + reader.GetInt64(9);
                        }
                    }

                    tx.Commit();
                }

                if (claimed.Count == 0)
                {
                    break;
                }

                using (var tx = connection.BeginTransaction())
                {
                    complete.Transaction = tx;
                    var p = complete.Parameters;
                    p["@token"].Value = token;
                    p["@now"].Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    if (bareComplete)
                    {
                        for (var i = 0; i < DrainBatch; i++)
                        {
                            p[i].Value = i < claimed.Count ? claimed[i] : DBNull.Value;
                        }

                        done += complete.ExecuteNonQuery();
                    }
                    else
                    {
                        foreach (var id in claimed)
                        {
                            p["@id"].Value = id;
                            done += complete.ExecuteNonQuery() / 2;
                        }
                    }

                    tx.Commit();
                }
            }

            watch.Stop();
            claim.Transaction = null;
            complete.Transaction = null;
            if (done != jobs)
            {
                throw new InvalidOperationException($"Raw cycle completed {done} of {jobs} jobs.");
            }

            return new Rate(jobs, watch.Elapsed, (GC.GetTotalAllocatedBytes(true) - allocated) / (double)jobs);
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    // ---- plumbing ----

    /// <summary>The library's own registration: one queue store, the two benchmark handlers, one worker group.</summary>
    internal static ServiceProvider BuildHost(
        string path, SynchronousMode synchronous, Action<QueueWorkerOptions> worker, DrainProbe drain, LatencyProbe latency,
        Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(drain);
        services.AddSingleton(latency);
        more?.Invoke(services);
        services.AddSqliteQueue(o =>
            {
                o.ConnectionString = $"Data Source={path}";
                o.Synchronous = synchronous;
            })
            .AddHandler<OrderPayload, NoOpHandler>(BenchmarkData.JobType)
            .AddHandler<LatencyPayload, LatencyHandler>(LatencyJobType)
            .AddWorker(worker);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    internal static async Task FillAsync(SqliteJobQueue queue, int jobs)
    {
        for (var start = 0; start < jobs; start += BenchmarkData.FillBatch)
        {
            var count = Math.Min(BenchmarkData.FillBatch, jobs - start);
            await queue.Client.EnqueueManyAsync(BenchmarkData.JobType, Enumerable.Range(start, count).Select(BenchmarkData.Payload));
        }
    }

    internal static async Task<Dictionary<string, long>> CountByStateAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT state, COUNT(*) FROM {BenchmarkData.Prefix}jobs GROUP BY state;";
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <summary>Collects garbage first so a collection left over from the setup is not charged to the measurement, then reads the allocation count.</summary>
    internal static long StartAllocations()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalAllocatedBytes(true);
    }

    internal static string SqliteVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version();";
        return (string)command.ExecuteScalar()!;
    }

    internal static void Print(string line) => Console.WriteLine(line);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private readonly record struct Rate(int Jobs, TimeSpan Elapsed, double BytesPerJob, string Spread = "") : IHasSpread<Rate>
    {
        public Rate WithSpread(string spread) => this with { Spread = spread };

        public double Seconds => Elapsed.TotalSeconds;

        public double JobsPerSecond => Jobs / Elapsed.TotalSeconds;
    }
}

/// <summary>A measurement that carries the rates of all its repeats, as text.</summary>
internal interface IHasSpread<out T>
{
    T WithSpread(string spread);
}

internal sealed record DrainFigure(int Concurrency, string Synchronous, double JobsPerSecond, double Seconds, double BytesPerJob, double CpuCores, string Spread = "")
    : IHasSpread<DrainFigure>
{
    public DrainFigure WithSpread(string spread) => this with { Spread = spread };
}

internal sealed record LatencyFigure(int Samples, double P50Ms, double P99Ms, double MeanMs, double MinMs, double MaxMs)
{
    public static LatencyFigure From(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return new LatencyFigure(sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.Average(), sorted[0], sorted[^1]);
    }

    /// <summary>Linear interpolation between closest ranks.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"p50 {P50Ms:F3} ms, p99 {P99Ms:F3} ms (mean {MeanMs:F3}, min {MinMs:F3}, max {MaxMs:F3}, {Samples} samples)");
}

internal sealed record W1Result(double QueueJobsPerSecond, double RawJobsPerSecond, double Ratio, double QueueBytesPerJob);

internal sealed record W2Result(IReadOnlyList<DrainFigure> Drains, double RawCycleJobsPerSecond, double RawBareCycleJobsPerSecond, double BestRatio);

internal sealed record PeerResult(
    int Jobs, int Cores, string Runtime, string Sqlite, W1Result W1, W2Result W2, W3Result W3, IdleResult IdleCpuPercent, double Seconds, WakeResult Wake);
