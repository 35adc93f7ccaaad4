using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// The <c>peer-contention</c> mode: enqueue latency while other processes hold the write lock most of the time.
/// </summary>
/// <remarks>
/// <para>
/// N worker processes (<c>peer-contention-worker</c>, this program again) each host the library's worker
/// (<c>AddWorker</c>, started as a Generic Host starts it) on one fresh file pre-filled with jobs; once they drain at
/// full speed, this process enqueues one job at a time (each call awaited, back to back) and times every call with a
/// Stopwatch. The workers' handled counts before and after the enqueues give their drain rate over the same window.
/// Every process counts the store's busy retries (log event 1002: a write still locked after <c>BusyTimeout</c>).
/// </para>
/// <para>
/// <c>--busy-handler sqlite</c> makes every process install SQLite's own busy handler (<c>busy_timeout</c>, as the
/// store did before it had its own) and <c>both</c> alternates the two, run by run, so one invocation compares them;
/// it exists for that comparison only. <c>--trace-writes</c> has each worker record how long each of its write
/// transactions held the lock (SQLite's profile callback on its writer; it costs a string per statement).
/// </para>
/// </remarks>
internal static class ContentionProbe
{
    public const string Usage =
        "usage: peer-contention [--workers N] [--jobs N] [--enqueues N] [--concurrency N] [--rounds N] [--busy-handler queue|sqlite|both] [--trace-writes]\n" +
        "       peer-contention-worker --db PATH --concurrency N [--busy-handler queue|sqlite] [--trace-writes]   (helper)";

    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (Options.Parse(args) is not { } options)
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        var handlers = options.Handler == "both" ? new[] { "sqlite", "queue" } : [options.Handler];
        PeerBenchmark.Print(string.Create(CultureInfo.InvariantCulture,
            $"peer-contention: {options.Workers} worker processes (concurrency {options.Concurrency} each) on {options.Jobs:N0} jobs, {options.Enqueues:N0} enqueues, {options.Rounds} round(s) of [{string.Join(", ", handlers)}], {Environment.ProcessorCount} cores, load {LoadRig.MachineLoad()}"));
        var runs = new List<ContentionRun>();
        for (var round = 0; round < options.Rounds; round++)
        {
            // Alternate which goes first, so neither always runs on a machine the other has just warmed (or loaded).
            var order = round % 2 == 0 ? handlers : handlers.Reverse().ToArray();
            foreach (var handler in order)
            {
                var run = await RunOnceAsync(options, handler, round);
                runs.Add(run);
                PeerBenchmark.Print(run.ToString());
            }
        }

        var summaries = handlers.Select(h => ContentionSummary.Of(h, runs.Where(r => r.BusyHandler == h).ToList())).ToList();
        foreach (var summary in summaries)
        {
            PeerBenchmark.Print(summary.ToString());
        }

        double? p99Ratio = null, drainRatio = null;
        if (summaries.Count == 2)
        {
            var (old, now) = (summaries[0], summaries[1]);
            p99Ratio = Ratio(now.P99Ms, old.P99Ms);
            drainRatio = Ratio(now.DrainPerSecond, old.DrainPerSecond);
            PeerBenchmark.Print(string.Create(CultureInfo.InvariantCulture,
                $"queue/sqlite (medians): enqueue p99 x{p99Ratio:F3}, max x{Ratio(now.MaxMs, old.MaxMs):F3}, drain x{drainRatio:F3}"));
        }

        Console.WriteLine(JsonSerializer.Serialize(
            new { mode = "peer-contention", options.Workers, options.Concurrency, options.Jobs, options.Enqueues, options.Rounds, cores = Environment.ProcessorCount, summaries, p99Ratio, drainRatio, runs },
            JsonOptions));
        return runs.Any(r => r.Failures > 0) ? 1 : 0;
    }

    private static double? Ratio(double value, double baseline) => baseline > 0 ? Math.Round(value / baseline, 3) : null;

    private static async Task<ContentionRun> RunOnceAsync(Options options, string handler, int round)
    {
        BusyWait.UseSqliteHandler = handler == "sqlite";
        var path = BenchmarkData.CreatePendingFile(options.Jobs);
        var children = new List<Process>();
        var logs = new BusyRetryLog();
        try
        {
            await using var queue = new SqliteJobQueue(BenchmarkData.QueueOptions(path), loggerFactory: logs);
            using var lockWaits = new LockWaitRecorder();
            await queue.InitializeAsync();

            // Before the workers start: the first calls JIT the enqueue path, which is not what is measured.
            for (var i = 0; i < 20; i++)
            {
                await queue.Client.EnqueueAsync(BenchmarkData.JobType, BenchmarkData.Payload(i));
            }

            for (var i = 0; i < options.Workers; i++)
            {
                children.Add(StartWorker(path, options, handler));
            }

            foreach (var child in children)
            {
                await ExpectAsync(child, "ready");
            }

            await TellAllAsync(children, "go");

            // Let the workers reach their steady drain (their own JIT, prefetch filling) before the window opens.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var before = await HandledAsync(children);
            lockWaits.Clear();
            var opened = Stopwatch.GetTimestamp();
            var latencies = new double[options.Enqueues];
            var failures = 0;
            for (var i = 0; i < options.Enqueues; i++)
            {
                var at = Stopwatch.GetTimestamp();
                try
                {
                    await queue.Client.EnqueueAsync(BenchmarkData.JobType, BenchmarkData.Payload(i));
                }
                catch (SqliteQueueException)
                {
                    failures++;
                }

                latencies[i] = Stopwatch.GetElapsedTime(at).TotalMilliseconds;
            }

            var seconds = Stopwatch.GetElapsedTime(opened).TotalSeconds;
            var after = await HandledAsync(children);
            await TellAllAsync(children, "stop");
            var reports = new List<string>();
            foreach (var child in children)
            {
                reports.Add(await child.StandardOutput.ReadLineAsync().WaitAsync(ChildTimeout) ?? "");
                await child.WaitForExitAsync().WaitAsync(ChildTimeout);
            }

            var handled = after.Sum() - before.Sum();
            var childRetries = reports.Sum(r => ParseField(r, "retries"));
            return new ContentionRun(
                round, handler, options.Enqueues, Math.Round(seconds, 3),
                EnqueueLatency.From(latencies),
                Math.Round(handled / seconds, 0),
                DrainedDry: after.Sum() >= options.Jobs,
                failures, logs.Retries, childRetries,
                options.TraceWrites ? reports.Select(r => r.Split(' ', 2) is [_, var writes] ? writes : "").ToList() : null,
                EnqueueLatency.From([.. lockWaits.Values]));
        }
        finally
        {
            foreach (var child in children)
            {
                if (!child.HasExited)
                {
                    child.Kill();
                }

                child.Dispose();
            }

            BenchmarkData.DeleteDatabase(path);
        }
    }

    /// <summary>The helper process: one worker group on the file; "go" starts it, "count" asks for its handled count, "stop" ends it.</summary>
    public static async Task<int> WorkerAsync(IReadOnlyList<string> args)
    {
        string? path = null;
        var concurrency = 4;
        var handler = "queue";
        var traceWrites = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--db" when i + 1 < args.Count:
                    path = args[++i];
                    break;
                case "--concurrency" when i + 1 < args.Count:
                    concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--busy-handler" when i + 1 < args.Count:
                    handler = args[++i];
                    break;
                case "--trace-writes":
                    traceWrites = true;
                    break;
                default:
                    await Console.Error.WriteLineAsync(Usage);
                    return 2;
            }
        }

        if (path is null)
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        BusyWait.UseSqliteHandler = handler == "sqlite";
        var logs = new BusyRetryLog();
        var drain = new DrainProbe(int.MaxValue);
        await using var provider = PeerBenchmark.BuildHost(path, SynchronousMode.Normal, w => w.Concurrency = concurrency, drain, new LatencyProbe(),
            s => s.AddSingleton<ILoggerFactory>(logs));
        var queue = provider.GetRequiredService<SqliteJobQueue>();
        await queue.InitializeAsync();
        var trace = traceWrites ? await LockHoldTrace.AttachAsync(queue) : null;
        Console.Out.WriteLine("ready");
        var hosted = provider.GetServices<IHostedService>().ToArray();
        long windowStart = 0;
        while (await Console.In.ReadLineAsync() is { } line)
        {
            switch (line)
            {
                case "go":
                    foreach (var service in hosted)
                    {
                        await service.StartAsync(CancellationToken.None);
                    }

                    break;
                case "count":
                    windowStart = windowStart == 0 ? Stopwatch.GetTimestamp() : windowStart;
                    Console.Out.WriteLine(drain.Handled.ToString(CultureInfo.InvariantCulture));
                    break;
                case "stop":
                    var windowEnd = Stopwatch.GetTimestamp();
                    foreach (var service in hosted)
                    {
                        await service.StopAsync(CancellationToken.None);
                    }

                    var writes = trace is null ? "" : " " + trace.Between(windowStart, windowEnd);
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"retries={logs.Retries}{writes}"));
                    return 0;
            }
        }

        return 0;
    }

    private static Process StartWorker(string path, Options options, string handler)
    {
        var start = new ProcessStartInfo
        {
            FileName = PeerBenchmark.DotnetHost(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(ContentionProbe).Assembly.Location);
        foreach (var arg in new[] { "peer-contention-worker", "--db", path, "--concurrency", options.Concurrency.ToString(CultureInfo.InvariantCulture), "--busy-handler", handler })
        {
            start.ArgumentList.Add(arg);
        }

        if (options.TraceWrites)
        {
            start.ArgumentList.Add("--trace-writes");
        }

        return Process.Start(start) ?? throw new InvalidOperationException("A worker process did not start.");
    }

    private static async Task ExpectAsync(Process child, string expected)
    {
        var line = await child.StandardOutput.ReadLineAsync().WaitAsync(ChildTimeout);
        if (line != expected)
        {
            throw new InvalidOperationException($"A worker process said '{line}' instead of '{expected}'.");
        }
    }

    private static async Task TellAllAsync(List<Process> children, string line)
    {
        foreach (var child in children)
        {
            await child.StandardInput.WriteLineAsync(line);
            await child.StandardInput.FlushAsync();
        }
    }

    private static async Task<long[]> HandledAsync(List<Process> children)
    {
        await TellAllAsync(children, "count");
        var counts = new long[children.Count];
        for (var i = 0; i < children.Count; i++)
        {
            counts[i] = long.Parse(await children[i].StandardOutput.ReadLineAsync().WaitAsync(ChildTimeout) ?? "", CultureInfo.InvariantCulture);
        }

        return counts;
    }

    private static int ParseField(string report, string name)
    {
        foreach (var part in report.Split(' '))
        {
            if (part.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return int.Parse(part[(name.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private sealed record Options(int Workers, int Jobs, int Enqueues, int Concurrency, int Rounds, string Handler, bool TraceWrites)
    {
        public static Options? Parse(IReadOnlyList<string> args)
        {
            int workers = 4, jobs = 200_000, enqueues = 10_000, concurrency = 4, rounds = 1;
            var handler = "queue";
            var traceWrites = false;
            for (var i = 0; i < args.Count; i++)
            {
                switch (args[i])
                {
                    case "--workers" when i + 1 < args.Count && TryPositive(args[i + 1], out workers):
                    case "--jobs" when i + 1 < args.Count && TryPositive(args[i + 1], out jobs):
                    case "--enqueues" when i + 1 < args.Count && TryPositive(args[i + 1], out enqueues):
                    case "--concurrency" when i + 1 < args.Count && TryPositive(args[i + 1], out concurrency):
                    case "--rounds" when i + 1 < args.Count && TryPositive(args[i + 1], out rounds):
                        i++;
                        break;
                    case "--busy-handler" when i + 1 < args.Count && args[i + 1] is "queue" or "sqlite" or "both":
                        handler = args[++i];
                        break;
                    case "--trace-writes":
                        traceWrites = true;
                        break;
                    default:
                        return null;
                }
            }

            return new Options(workers, jobs, enqueues, concurrency, rounds, handler, traceWrites);
        }

        private static bool TryPositive(string text, out int value) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
    }
}

/// <summary>Enqueue latency of one run, in milliseconds, and how many calls took longer than 5 and 50 ms.</summary>
internal sealed record EnqueueLatency(double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, int Over5Ms, int Over50Ms)
{
    public static EnqueueLatency From(double[] ms)
    {
        var sorted = ms.Order().ToArray();
        return new EnqueueLatency(
            At(sorted, 0.50), At(sorted, 0.90), At(sorted, 0.99), At(sorted, 0.999), Math.Round(sorted[^1], 3),
            sorted.Count(v => v > 5), sorted.Count(v => v > 50));
    }

    /// <summary>Linear interpolation between closest ranks, as <see cref="LatencyFigure"/> does.</summary>
    private static double At(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return Math.Round(sorted[low] + ((rank - low) * (sorted[high] - sorted[low])), 3);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"p50 {P50Ms:F3} p90 {P90Ms:F3} p99 {P99Ms:F3} p99.9 {P999Ms:F3} max {MaxMs:F3} ms; {Over5Ms} over 5 ms, {Over50Ms} over 50 ms");
}

/// <summary>One run: one busy handler, one fresh file, one set of worker processes.</summary>
internal sealed record ContentionRun(
    int Round, string BusyHandler, int Enqueues, double Seconds, EnqueueLatency Latency, double DrainPerSecond, bool DrainedDry,
    int Failures, int ProducerBusyRetries, int WorkerBusyRetries, IReadOnlyList<string>? WorkerWrites, EnqueueLatency ProducerLockWait)
{
    public override string ToString()
    {
        var dry = DrainedDry ? " (ran out of jobs: raise --jobs)" : "";
        var writes = WorkerWrites is null ? "" : "; worker writes: " + string.Join(" | ", WorkerWrites);
        return string.Create(CultureInfo.InvariantCulture,
            $"  round {Round} {BusyHandler,-6}: enqueue {Latency}; of which waiting for the lock {ProducerLockWait}; drain {DrainPerSecond:N0} jobs/s{dry}; {Failures} failed, busy retries {ProducerBusyRetries} producer / {WorkerBusyRetries} workers{writes}");
    }
}

/// <summary>The medians over the runs of one busy handler.</summary>
internal sealed record ContentionSummary(string BusyHandler, int Runs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, double Over5Ms, double Over50Ms, double DrainPerSecond)
{
    public static ContentionSummary Of(string handler, List<ContentionRun> runs) => new(
        handler, runs.Count,
        Median(runs.Select(r => r.Latency.P50Ms)), Median(runs.Select(r => r.Latency.P90Ms)), Median(runs.Select(r => r.Latency.P99Ms)),
        Median(runs.Select(r => r.Latency.P999Ms)), Median(runs.Select(r => r.Latency.MaxMs)),
        Median(runs.Select(r => (double)r.Latency.Over5Ms)), Median(runs.Select(r => (double)r.Latency.Over50Ms)),
        Median(runs.Select(r => r.DrainPerSecond)));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return Math.Round(sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2, 3);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{BusyHandler} (median of {Runs}): enqueue p50 {P50Ms:F3} p90 {P90Ms:F3} p99 {P99Ms:F3} p99.9 {P999Ms:F3} max {MaxMs:F3} ms; over 5 ms {Over5Ms}, over 50 ms {Over50Ms}; drain {DrainPerSecond:N0} jobs/s");
}

/// <summary>
/// How long this process's writer held the write lock per transaction: from the end of its <c>BEGIN IMMEDIATE</c>
/// (the lock is taken; the time it waited for it is left out) to the end of its <c>COMMIT</c> or <c>ROLLBACK</c>, from
/// SQLite's per-statement profile callback (a string per statement).
/// </summary>
internal sealed class LockHoldTrace
{
    private readonly List<(long End, double Ms)> _holds = new(1 << 16);
    private readonly SQLitePCL.strdelegate_profile _callback;
    private long _acquired;

    private LockHoldTrace() => _callback = OnStatement;

    public static async Task<LockHoldTrace> AttachAsync(SqliteJobQueue queue)
    {
        var trace = new LockHoldTrace();
        await queue.Store.WriteAsync(trace, static (_, tx, t) =>
        {
            SQLitePCL.raw.sqlite3_profile(tx.Connection!.Handle, t._callback, null);
            return 0;
        }, CancellationToken.None);
        return trace;
    }

    /// <summary>"holds=N,p50=..,p99=..,max=..,busy=..%": the holds that ended in the window, and the share of the window they cover.</summary>
    public string Between(long from, long to)
    {
        List<double> ms;
        lock (_holds)
        {
            ms = _holds.Where(h => h.End >= from && h.End < to).Select(h => h.Ms).ToList();
        }

        if (ms.Count == 0)
        {
            return "holds=0";
        }

        var figure = LatencyFigure.From(ms);
        var share = 100 * ms.Sum() / Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture, $"holds={ms.Count},p50={figure.P50Ms:F3},p99={figure.P99Ms:F3},max={figure.MaxMs:F3}ms,held={share:F0}%");
    }

    // Runs on whichever thread runs the writer's statement; the store runs one write at a time, so no two overlap.
    private void OnStatement(object userData, string statement, long nanoseconds)
    {
        var now = Stopwatch.GetTimestamp();
        var sql = statement.AsSpan().TrimStart();
        if (sql.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase))
        {
            _acquired = now;
        }
        else if (_acquired != 0 && (sql.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase) || sql.StartsWith("END", StringComparison.OrdinalIgnoreCase)
            || (sql.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase) && !sql.Contains(" TO ", StringComparison.OrdinalIgnoreCase))))
        {
            lock (_holds)
            {
                _holds.Add((now, Stopwatch.GetElapsedTime(_acquired, now).TotalMilliseconds));
            }

            _acquired = 0;
        }
    }
}

/// <summary>
/// Records this process's <c>sqlitequeue.db.lock.wait.duration</c> measurements, in milliseconds: how long each commit
/// waited for the write lock, so a slow enqueue can be told apart from a slow commit or a late thread.
/// </summary>
internal sealed class LockWaitRecorder : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly List<double> _values = new(1 << 16);

    public LockWaitRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "SqliteQueue" && instrument.Name == "sqlitequeue.db.lock.wait.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            lock (_values)
            {
                _values.Add(seconds * 1000);
            }
        });
        _listener.Start();
    }

    public double[] Values
    {
        get
        {
            lock (_values)
            {
                return _values.Count == 0 ? [0] : [.. _values];
            }
        }
    }

    public void Clear()
    {
        lock (_values)
        {
            _values.Clear();
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>Counts the store's busy retries (log event 1002) and drops every other log line.</summary>
internal sealed class BusyRetryLog : ILoggerFactory, ILogger
{
    private int _retries;

    public int Retries => Volatile.Read(ref _retries);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == 1002)
        {
            Interlocked.Increment(ref _retries);
        }
    }

    public void Dispose()
    {
    }
}
