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
        BusyWait.UseStoreHandler = handler == "queue";
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

        BusyWait.UseStoreHandler = handler == "queue";
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
