using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SqliteQueue.Recurring;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// <c>recurring-latency [seconds]</c>: how late, in real time, the scheduler fires an every-second schedule, and what
/// the process spends while it waits; prints one line per figure and ends with one JSON line.
/// </summary>
/// <remarks>
/// <para>
/// Baseline, first: a loop that computes the next whole second the way the scheduler computes its wait (Unix
/// milliseconds, now to the next occurrence), awaits <c>Task.Delay</c> for it on <see cref="TimeProvider.System"/>, and
/// records how many milliseconds after the second it woke: the floor of any timer-based scheduler here.
/// </para>
/// <para>
/// Then the scheduler: a new file with the real clock, one schedule <c>*/1 * * * * *</c> with <see cref="Overlap.Allow"/>
/// (no worker takes its jobs), and <see cref="SqliteJobQueue.RunRecurringSchedulerAsync"/>. A job's lateness is its
/// <c>created_at - occurrence_at</c> (both Unix milliseconds; <c>created_at</c> is the clock read inside the tick's
/// write transaction). Both loops get 2 seconds of warm-up (JIT) that are not counted.
/// </para>
/// <para>
/// CPU: process CPU time (<see cref="Process.TotalProcessorTime"/>) over wall time, in % of one core, across each
/// measured window; for the scheduler that includes its one tick per second, so it bounds what it costs between
/// firings. A third window runs the scheduler with one schedule that is not due (<c>0 0 1 1 *</c>), so it only sleeps.
/// </para>
/// </remarks>
internal static class RecurringLatencyProbe
{
    private const string ScheduleName = "every-second";
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var seconds = 20;
        if (args.Count > 1 || (args.Count == 1 && (!int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds < 1)))
        {
            await Console.Error.WriteLineAsync("usage: recurring-latency [seconds]   (seconds per measurement, at least 1; default 20)");
            return 2;
        }

        var idleSeconds = Math.Min(seconds, 10);
        var total = Stopwatch.StartNew();
        Print($"recurring-latency: {seconds} s per measurement, {idleSeconds} s idle; {Environment.ProcessorCount} cores, " +
              $".NET {Environment.Version}, SQLite {PeerBenchmark.SqliteVersion()}");

        var timer = await DelayLoopAsync(seconds);
        Print($"baseline Task.Delay to each whole second, TimeProvider.System: {timer}");
        var scheduler = await SchedulerAsync(seconds);
        Print($"scheduler, */1 * * * * *, created_at - occurrence_at: {scheduler}");
        var idle = await IdleSchedulerAsync(idleSeconds);
        Print($"scheduler with nothing due (0 0 1 1 *): CPU {idle:F3} % of one core over {idleSeconds} s");
        Print($"total {total.Elapsed.TotalSeconds:F1} s");

        var result = new RecurringLatencyResult(
            Mode: "recurring-latency",
            Seconds: seconds,
            Cores: Environment.ProcessorCount,
            Runtime: Environment.Version.ToString(),
            Sqlite: PeerBenchmark.SqliteVersion(),
            Scheduler: scheduler,
            DelayLoop: timer,
            IdleScheduler: new IdleFigure(idleSeconds, Math.Round(idle, 3)));
        Console.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
        return scheduler.Count > 0 ? 0 : 1;
    }

    private static async Task<LatenessFigure> DelayLoopAsync(int seconds)
    {
        var time = TimeProvider.System;
        for (var i = 0; i < WarmUp.TotalSeconds; i++)
        {
            await WakeAtNextSecondAsync(time);
        }

        var late = new List<long>(seconds);
        var cpu = CpuWindow.Start();
        for (var i = 0; i < seconds; i++)
        {
            late.Add(await WakeAtNextSecondAsync(time));
        }

        return LatenessFigure.Of(late, seconds, cpu.PercentOfOneCore());
    }

    /// <summary>Sleeps to the next whole second as the scheduler does (milliseconds to the due time), and returns how late it woke.</summary>
    private static async Task<long> WakeAtNextSecondAsync(TimeProvider time)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var due = ((now / 1_000) + 1) * 1_000;
        await Task.Delay(TimeSpan.FromMilliseconds(due - now), time);
        return time.GetUtcNow().ToUnixTimeMilliseconds() - due;
    }

    private static async Task<LatenessFigure> SchedulerAsync(int seconds)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            long from, to;
            double cpuPercent;
            using (var queue = new SqliteJobQueue(BenchmarkData.QueueOptions(path)))
            {
                await queue.InitializeAsync();
                await queue.Recurring.UpsertAsync(new RecurringJobDefinition(ScheduleName, "tick", "*/1 * * * * *") { Overlap = Overlap.Allow });
                using var stop = new CancellationTokenSource();
                var run = Task.Run(() => queue.RunRecurringSchedulerAsync(stop.Token));
                await Task.Delay(WarmUp);

                // The occurrences counted are the whole seconds after `from` up to `to`.
                from = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
                var cpu = CpuWindow.Start();
                await Task.Delay(TimeSpan.FromSeconds(seconds));
                cpuPercent = cpu.PercentOfOneCore();
                to = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
                await stop.CancelAsync();
                await run;
            }

            using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
            connection.Open();
            using var read = connection.CreateCommand();
            read.CommandText = $"""
                SELECT created_at - occurrence_at, occurrence_missed FROM {BenchmarkData.Prefix}jobs
                WHERE recurring_name = @name AND occurrence_at > @from AND occurrence_at <= @to
                ORDER BY occurrence_at;
                """;
            read.Parameters.AddWithValue("@name", ScheduleName);
            read.Parameters.AddWithValue("@from", from);
            read.Parameters.AddWithValue("@to", to);
            var late = new List<long>();
            var caughtUp = 0;
            using (var reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    late.Add(reader.GetInt64(0));
                    caughtUp += reader.GetInt64(1) > 0 ? 1 : 0;
                }
            }

            var expected = (int)((to / 1_000) - (from / 1_000));
            return LatenessFigure.Of(late, expected, cpuPercent) with { CaughtUp = caughtUp };
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    private static async Task<double> IdleSchedulerAsync(int seconds)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            using var queue = new SqliteJobQueue(BenchmarkData.QueueOptions(path));
            await queue.InitializeAsync();
            await queue.Recurring.UpsertAsync(new RecurringJobDefinition("yearly", "tick", "0 0 1 1 *") { Overlap = Overlap.Allow });
            using var stop = new CancellationTokenSource();
            var run = Task.Run(() => queue.RunRecurringSchedulerAsync(stop.Token));
            await Task.Delay(WarmUp);
            var cpu = CpuWindow.Start();
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var percent = cpu.PercentOfOneCore();
            await stop.CancelAsync();
            await run;
            return percent;
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    private static void Print(string line) => Console.WriteLine(line);

    /// <summary>Process CPU time over wall time from its start.</summary>
    private readonly struct CpuWindow
    {
        private readonly TimeSpan _cpu;
        private readonly long _started;

        private CpuWindow(TimeSpan cpu, long started)
        {
            _cpu = cpu;
            _started = started;
        }

        public static CpuWindow Start()
        {
            using var process = Process.GetCurrentProcess();
            return new CpuWindow(process.TotalProcessorTime, Stopwatch.GetTimestamp());
        }

        public double PercentOfOneCore()
        {
            var wall = Stopwatch.GetElapsedTime(_started);
            using var process = Process.GetCurrentProcess();
            return 100.0 * (process.TotalProcessorTime - _cpu).TotalSeconds / wall.TotalSeconds;
        }
    }
}

/// <summary>Lateness in whole milliseconds after the due second, and the CPU spent over the window.</summary>
internal sealed record LatenessFigure(int Count, int Expected, double P50Ms, double P95Ms, double MaxMs, double MinMs, double CpuPercent, int CaughtUp = 0)
{
    public static LatenessFigure Of(List<long> late, int expected, double cpuPercent)
    {
        var sorted = late.Select(l => (double)l).Order().ToArray();
        return sorted.Length == 0
            ? new LatenessFigure(0, expected, double.NaN, double.NaN, double.NaN, double.NaN, Math.Round(cpuPercent, 3))
            : new LatenessFigure(sorted.Length, expected, Percentile(sorted, 0.50), Percentile(sorted, 0.95), sorted[^1], sorted[0], Math.Round(cpuPercent, 3));
    }

    /// <summary>Linear interpolation between closest ranks, as the peer mode's latency figures.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return Math.Round(sorted[low] + ((rank - low) * (sorted[high] - sorted[low])), 3);
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"p50 {P50Ms:F1} ms, p95 {P95Ms:F1} ms, max {MaxMs:F0} ms, min {MinMs:F0} ms ({Count} of {Expected} seconds{(CaughtUp > 0 ? $", {CaughtUp} caught up" : "")}); CPU {CpuPercent:F3} % of one core");
}

internal sealed record IdleFigure(int Seconds, double CpuPercent);

internal sealed record RecurringLatencyResult(
    string Mode, int Seconds, int Cores, string Runtime, string Sqlite, LatenessFigure Scheduler, LatenessFigure DelayLoop, IdleFigure IdleScheduler);
