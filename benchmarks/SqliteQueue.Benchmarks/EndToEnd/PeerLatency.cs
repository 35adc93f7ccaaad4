using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// The <c>peer</c> mode's latency part: W3 (enqueue to handler start, in this process and from another), the CPU of
/// an idle worker, and what the wake-up file (<see cref="SqliteQueueOptions.CrossProcessWake"/>) costs an enqueue
/// and gains a pickup from another process. The wake's figures come in pairs, on and off, from the same run.
/// </summary>
internal static partial class PeerBenchmark
{
    /// <summary>Rounds of the wake's A/B figures in the <c>peer</c> mode, alternating on and off, so drift in the machine's load hits both alike.</summary>
    private const int WakeRounds = 3;

    /// <summary>
    /// <c>peer-wake [--rounds N] [--enqueue-only] [--jobs N] [--latency-samples N] [--idle-seconds N]</c>: only the
    /// wake-up file's figures (W1 with and without the touch, W3 across processes with and without the signal, idle CPU
    /// with and without the watcher), with N alternating rounds (3 unless given) for W1 and idle CPU; with
    /// <c>--enqueue-only</c>, only W1.
    /// </summary>
    public static async Task<int> WakeOnlyAsync(IReadOnlyList<string> args)
    {
        var rest = args.ToList();
        var enqueueOnly = rest.Remove("--enqueue-only");
        var rounds = WakeRounds;
        var at = rest.IndexOf("--rounds");
        if (at >= 0 && at + 1 < rest.Count && int.TryParse(rest[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out rounds) && rounds > 0)
        {
            rest.RemoveRange(at, 2);
        }

        var options = PeerOptions.Parse(rest);
        if (options is null || rounds <= 0)
        {
            await Console.Error.WriteLineAsync(PeerOptions.Usage);
            return 2;
        }

        await EnqueueLibraryAsync(Math.Min(options.Jobs, 1_000));
        await EnqueueLibraryAsync(Math.Min(options.Jobs, 1_000), crossProcessWake: false);
        var wake = await WakeFiguresAsync(options, rounds, enqueueOnly);
        Print(System.Text.Json.JsonSerializer.Serialize(wake, JsonOptions));
        return 0;
    }

    /// <summary>W3, idle CPU and the wake's A/B figures, printed as they come.</summary>
    private static async Task<(W3Result W3, IdleResult Idle, WakeResult Wake)> LatencyFiguresAsync(PeerOptions options)
    {
        var samples = options.LatencySamples;
        var inProcess = await InProcessLatencyAsync(samples);
        Print($"W3 in-process enqueue -> handler start: {inProcess}");
        var wake = await WakeFiguresAsync(options, WakeRounds);
        var crossFast = await CrossProcessLatencyAsync(samples, TimeSpan.FromMilliseconds(50), crossProcessWake: false);
        Print($"W3 cross-process, PollInterval 50 ms, wake-up file off: {crossFast.FromCall}");
        var idleFast = await IdleCpuAsync(options.IdleSeconds, TimeSpan.FromMilliseconds(50), crossProcessWake: false);
        Print($"Idle CPU, one worker, PollInterval 50 ms, wake-up file off: {idleFast:F3} % of one core over {options.IdleSeconds} s");
        return (
            new W3Result(samples, inProcess, wake.CrossProcess!, crossFast.FromCall, wake.CrossProcessOff!, wake.CrossProcessFromReturn!),
            new IdleResult(options.IdleSeconds, wake.IdleCpuPercent, idleFast, wake.IdleCpuPercentOff),
            wake);
    }

    /// <summary>
    /// The wake-up file on (the default) against off, at the default 1 s poll interval: W1, then W3 from another
    /// process, then idle CPU, each alternating on and off. W1 and idle CPU are the medians of
    /// <paramref name="rounds"/> rounds each way; W3 is one run of the given samples each way.
    /// </summary>
    /// <remarks>With <paramref name="enqueueOnly"/>, only W1 (for a closer look at the touch's cost).</remarks>
    private static async Task<WakeResult> WakeFiguresAsync(PeerOptions options, int rounds, bool enqueueOnly = false)
    {
        var jobs = options.Jobs;
        var enqueueOn = new List<double>();
        var enqueueOff = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var on in OnFirst(round))
            {
                (on ? enqueueOn : enqueueOff).Add((await EnqueueLibraryAsync(jobs, crossProcessWake: on)).JobsPerSecond);
            }
        }

        var w1On = Median(enqueueOn);
        var w1Off = Median(enqueueOff);
        Print($"W1 enqueue, wake-up file on (default): {w1On:N0} jobs/s; off: {w1Off:N0} jobs/s; on/off {w1On / w1Off:F3} " +
              $"(median of {rounds} alternating rounds, ABBA; on {Rates(enqueueOn)}, off {Rates(enqueueOff)})");

        // The only code an enqueue runs more with the file on is the touch: timed alone, it is the cost without the noise.
        var touchMicros = TouchMicroseconds(jobs);
        Print($"W1 the touch alone: {touchMicros:F2} µs per call (one 8-byte write), {touchMicros * w1Off / 1e4:F2} % of an enqueue at the off rate");

        var besideOn = new List<double>();
        var besideOff = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var on in OnFirst(round))
            {
                (on ? besideOn : besideOff).Add(await EnqueueBesideIdleWorkerAsync(jobs, crossProcessWake: on));
            }
        }

        var w1BesideOn = Median(besideOn);
        var w1BesideOff = Median(besideOff);
        Print($"W1 enqueue beside a worker idle on another queue, wake-up file on (default): {w1BesideOn:N0} jobs/s; off: {w1BesideOff:N0} jobs/s; " +
              $"on/off {w1BesideOn / w1BesideOff:F3} (median of {rounds} alternating rounds, ABBA; on {Rates(besideOn)}, off {Rates(besideOff)})");

        if (enqueueOnly)
        {
            return new WakeResult(w1On, w1Off, w1On / w1Off, enqueueOn, enqueueOff, touchMicros, w1BesideOn, w1BesideOff, null, null, null, 0, 0, [], []);
        }

        var poll = TimeSpan.FromSeconds(1);
        var crossOn = await CrossProcessLatencyAsync(options.LatencySamples, poll, crossProcessWake: true);
        Print($"W3 cross-process, PollInterval 1 s (default), wake-up file on (default): {crossOn.FromCall}");
        Print($"W3 cross-process, the same samples from the enqueue's return: {crossOn.FromReturn}");
        var crossOff = await CrossProcessLatencyAsync(options.LatencySamples, poll, crossProcessWake: false);
        Print($"W3 cross-process, PollInterval 1 s (default), wake-up file off: {crossOff.FromCall}");

        var idleOn = new List<double>();
        var idleOff = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var on in OnFirst(round))
            {
                (on ? idleOn : idleOff).Add(await IdleCpuAsync(options.IdleSeconds, poll, crossProcessWake: on));
            }
        }

        Print($"Idle CPU, one worker, PollInterval 1 s (default), wake-up file on (default): {Median(idleOn):F3} % of one core; off: {Median(idleOff):F3} % " +
              $"(median of {rounds} alternating {options.IdleSeconds} s windows, ABBA; on {Percents(idleOn)}, off {Percents(idleOff)})");
        return new WakeResult(w1On, w1Off, w1On / w1Off, enqueueOn, enqueueOff, touchMicros, w1BesideOn, w1BesideOff, crossOn.FromCall, crossOn.FromReturn, crossOff.FromCall, Median(idleOn), Median(idleOff), idleOn, idleOff);
    }

    /// <summary>
    /// W1 in a process whose hosted worker waits on another queue: its watcher is up, so every enqueue's touch comes
    /// back to this process as a signal (and the WAL's writes as events the watcher discards), and wakes the worker for
    /// a read of the due time. What that costs the enqueues, in jobs/s.
    /// </summary>
    private static async Task<double> EnqueueBesideIdleWorkerAsync(int jobs, bool crossProcessWake)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            await using var provider = BuildHost(
                path, SynchronousMode.Normal, w => w.Queues = ["elsewhere"], new DrainProbe(int.MaxValue), new LatencyProbe(),
                s => s.Configure<SqliteQueueOptions>(o => o.CrossProcessWake = crossProcessWake));
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await queue.InitializeAsync();
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
            var payloads = Enumerable.Range(0, jobs).Select(BenchmarkData.Payload).ToArray();
            var watch = Stopwatch.StartNew();
            foreach (var payload in payloads)
            {
                await queue.Client.EnqueueAsync(BenchmarkData.JobType, payload);
            }

            watch.Stop();
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            return jobs / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    /// <summary>The mean time of <paramref name="calls"/> touches of the wake-up file, in microseconds, after one to open it.</summary>
    private static double TouchMicroseconds(int calls)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            using var queue = BenchmarkData.OpenQueue(path);
            var wake = queue.SqliteStore.Wake;
            wake.Touch();
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                wake.Touch();
            }

            return watch.Elapsed.TotalMicroseconds / calls;
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    /// <summary>On then off in even rounds, off then on in odd ones (ABBA), so what the first run of a pair pays is shared alike.</summary>
    private static bool[] OnFirst(int round) => round % 2 == 0 ? [true, false] : [false, true];

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Rates(List<double> values) => string.Join(" / ", values.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)));

    private static string Percents(List<double> values) => string.Join(" / ", values.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)));

    // ---- W3 ----

    private static async Task<LatencyFigure> InProcessLatencyAsync(int samples)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            var probe = new LatencyProbe();
            await using var provider = BuildHost(path, SynchronousMode.Normal, _ => { }, new DrainProbe(int.MaxValue), probe);
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await queue.InitializeAsync();
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            var random = new Random(1);
            var latencies = new List<double>(samples);
            const int warmup = 5;
            for (var seq = 0; seq < warmup + samples; seq++)
            {
                // Let the worker finish the previous job and go back to waiting.
                await Task.Delay(TimeSpan.FromMilliseconds(10 + random.Next(10)));
                await queue.Client.EnqueueAsync(LatencyJobType, new LatencyPayload(Stopwatch.GetTimestamp(), seq));
                var ms = await probe.WaitAsync(seq, SampleTimeout);
                if (seq >= warmup)
                {
                    latencies.Add(ms);
                }
            }

            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            return LatencyFigure.From(latencies);
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    /// <summary>
    /// The worker runs here with the given poll interval; a second process enqueues one job each time it is told to,
    /// and the parent tells it after a random pause (0 to one poll interval) once the previous job's handler ran,
    /// so arrivals fall at random points of the worker's poll cycle. Both processes have the wake-up file on or off.
    /// </summary>
    /// <returns>
    /// The latency from just before the enqueue call (as the in-process figure), and from its return (what the
    /// enqueuer reports the call took, taken off each sample).
    /// </returns>
    private static async Task<(LatencyFigure FromCall, LatencyFigure FromReturn)> CrossProcessLatencyAsync(int samples, TimeSpan pollInterval, bool crossProcessWake)
    {
        var path = BenchmarkData.NewDatabasePath();
        Process? child = null;
        try
        {
            var probe = new LatencyProbe();
            await using var provider = BuildHost(
                path, SynchronousMode.Normal, w => w.PollInterval = pollInterval, new DrainProbe(int.MaxValue), probe,
                s => s.Configure<SqliteQueueOptions>(o => o.CrossProcessWake = crossProcessWake));
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await queue.InitializeAsync();

            child = StartEnqueuer(path, crossProcessWake);
            var ready = await child.StandardOutput.ReadLineAsync();
            if (ready != "ready")
            {
                throw new InvalidOperationException($"The enqueuer process said '{ready}' instead of 'ready': {await child.StandardError.ReadToEndAsync()}");
            }

            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            var random = new Random(2);
            var fromCall = new List<double>(samples);
            var fromReturn = new List<double>(samples);
            const int warmup = 3;
            for (var seq = 0; seq < warmup + samples; seq++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20 + (random.NextDouble() * pollInterval.TotalMilliseconds)));
                await child.StandardInput.WriteLineAsync($"go {seq.ToString(CultureInfo.InvariantCulture)}");
                await child.StandardInput.FlushAsync();
                var ms = await probe.WaitAsync(seq, SampleTimeout);
                var ack = await child.StandardOutput.ReadLineAsync();
                if (ack is null || !ack.StartsWith("ok ", StringComparison.Ordinal)
                    || !double.TryParse(ack.AsSpan(3), NumberStyles.Float, CultureInfo.InvariantCulture, out var callMs))
                {
                    throw new InvalidOperationException($"The enqueuer process said '{ack}' instead of 'ok <ms>'.");
                }

                if (seq >= warmup)
                {
                    fromCall.Add(ms);
                    fromReturn.Add(ms - callMs);
                }
            }

            await child.StandardInput.WriteLineAsync("quit");
            await child.StandardInput.FlushAsync();
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            return (LatencyFigure.From(fromCall), LatencyFigure.From(fromReturn));
        }
        finally
        {
            if (child is { HasExited: false })
            {
                child.Kill();
            }

            child?.Dispose();
            BenchmarkData.DeleteDatabase(path);
        }
    }

    private static Process StartEnqueuer(string path, bool crossProcessWake)
    {
        var start = new ProcessStartInfo
        {
            FileName = DotnetHost(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(PeerBenchmark).Assembly.Location);
        start.ArgumentList.Add("peer-enqueue");
        start.ArgumentList.Add("--db");
        start.ArgumentList.Add(path);
        if (!crossProcessWake)
        {
            start.ArgumentList.Add("--no-wake");
        }

        return Process.Start(start) ?? throw new InvalidOperationException("The enqueuer process did not start.");
    }

    internal static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        var underRoot = string.IsNullOrEmpty(root) ? null : Path.Combine(root, "dotnet");
        return underRoot is not null && File.Exists(underRoot) ? underRoot : "dotnet";
    }

    /// <summary>
    /// The helper process: enqueues one latency job per "go SEQ" line on stdin and answers "ok MS" (how long the
    /// enqueue call took, in milliseconds), stops at "quit". <c>--no-wake</c> turns the wake-up file off.
    /// </summary>
    public static async Task<int> EnqueueHelperAsync(IReadOnlyList<string> args)
    {
        if (args.Count is < 2 or > 3 || args[0] != "--db" || (args.Count == 3 && args[2] != "--no-wake"))
        {
            await Console.Error.WriteLineAsync(PeerOptions.Usage);
            return 2;
        }

        var options = BenchmarkData.QueueOptions(args[1]);
        options.CrossProcessWake = args.Count == 2;
        await using var queue = new SqliteJobQueue(options);
        await queue.InitializeAsync();
        Console.Out.WriteLine("ready");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ');
            if (parts[0] == "quit")
            {
                break;
            }

            if (parts is ["go", var seq])
            {
                var sent = Stopwatch.GetTimestamp();
                await queue.Client.EnqueueAsync(LatencyJobType, new LatencyPayload(sent, int.Parse(seq, CultureInfo.InvariantCulture)));
                var took = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ok {took:R}"));
            }
        }

        return 0;
    }

    // ---- idle CPU ----

    /// <summary>A started worker with nothing to do: process CPU time over wall time, as a percentage of one core.</summary>
    private static async Task<double> IdleCpuAsync(int seconds, TimeSpan pollInterval, bool crossProcessWake)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            await using var provider = BuildHost(
                path, SynchronousMode.Normal, w => w.PollInterval = pollInterval, new DrainProbe(int.MaxValue), new LatencyProbe(),
                s => s.Configure<SqliteQueueOptions>(o => o.CrossProcessWake = crossProcessWake));
            await provider.GetRequiredService<SqliteJobQueue>().InitializeAsync();
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            // Let start-up work (tiered JIT, first polls) pass before measuring.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            process.Refresh();
            var used = process.TotalProcessorTime - cpu;
            watch.Stop();
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            return 100 * used.TotalSeconds / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    /// <summary>One awaited enqueue per job on a new file, with the wake-up file on or off: what the touch after each commit costs.</summary>
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
}

/// <summary>
/// W3's figures: <see cref="CrossProcessPoll1s"/> with the defaults (wake-up file on); <see cref="CrossProcessPoll50ms"/>
/// with the wake-up file off, so it stays the poll's own figure; the rest were added with the wake-up file.
/// </summary>
internal sealed record W3Result(
    int Samples, LatencyFigure InProcess, LatencyFigure CrossProcessPoll1s, LatencyFigure CrossProcessPoll50ms,
    LatencyFigure CrossProcessPoll1sWakeOff, LatencyFigure CrossProcessPoll1sFromReturn);

/// <summary>Idle CPU, % of one core: <see cref="Poll1s"/> with the defaults (the watcher on), <see cref="Poll50ms"/> with the wake-up file off.</summary>
internal sealed record IdleResult(int Seconds, double Poll1s, double Poll50ms, double Poll1sWakeOff);

/// <summary>The wake-up file on against off, from one run: W1 rates (jobs/s), W3 across processes at the default poll, idle CPU (%).</summary>
internal sealed record WakeResult(
    double W1On, double W1Off, double W1Ratio, IReadOnlyList<double> W1OnRounds, IReadOnlyList<double> W1OffRounds, double TouchMicroseconds, double W1BesideIdleWorkerOn, double W1BesideIdleWorkerOff,
    LatencyFigure? CrossProcess, LatencyFigure? CrossProcessFromReturn, LatencyFigure? CrossProcessOff,
    double IdleCpuPercent, double IdleCpuPercentOff, IReadOnlyList<double> IdleOnRounds, IReadOnlyList<double> IdleOffRounds);
