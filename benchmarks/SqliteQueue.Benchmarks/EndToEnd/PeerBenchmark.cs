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
        await WarmEnqueueAsync(warm);
        await DrainAsync(warm, 4, SynchronousMode.Normal);
        RawCycle(warm, bareComplete: false);
        RawCycle(warm, bareComplete: true);

        // W1
        // Each throughput figure is the median of Repeats runs, each on its own new file; the spread is printed beside it.
        var w1 = await EnqueueFiguresAsync(n);

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
            W1: w1,
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

internal sealed record W2Result(IReadOnlyList<DrainFigure> Drains, double RawCycleJobsPerSecond, double RawBareCycleJobsPerSecond, double BestRatio);

internal sealed record PeerResult(
    int Jobs, int Cores, string Runtime, string Sqlite, W1Result W1, W2Result W2, W3Result W3, IdleResult IdleCpuPercent, double Seconds, WakeResult Wake);
