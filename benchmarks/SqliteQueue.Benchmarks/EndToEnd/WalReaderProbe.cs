using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// <c>wal-reader</c>: how big the WAL gets behind a reader that holds one snapshot, and how soon it shrinks after.
/// On a new file, a raw connection runs <c>BEGIN; SELECT COUNT(*) FROM queue_jobs</c> and keeps that read
/// transaction open <c>--seconds</c>; meanwhile a producer pushes <c>--jobs</c> jobs at <c>--rate</c> per second and
/// <c>--workers</c> workers drain them. The <c>-wal</c> file's size is sampled every 500 ms. Once the reader commits
/// and closes: its size then, the seconds until it is back at or under the WAL limit (watched for three checkpoint
/// intervals), and its size once the queue has drained and been idle for two and a half checkpoint intervals (an
/// idle truncation needs one whole interval without writes, then the next round). Run twice: with <see cref="SqliteJobQueue.RunMaintenanceAsync"/> (<c>--checkpoint-seconds</c>,
/// <c>--wal-limit-mib</c>, other options at their defaults), and without it, when only the store's own passive
/// checkpoints and <c>journal_size_limit</c> act (the baseline). Prints one line per figure, then one JSON line.
/// </summary>
internal static class WalReaderProbe
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(500);
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var o = MaintenanceProbeOptions.Parse(args, new MaintenanceProbeOptions(100_000, 60, 3, 2_000, 10, 64, 900));
        if (o is null)
        {
            await Console.Error.WriteLineAsync(MaintenanceProbeOptions.Usage("wal-reader"));
            return 2;
        }

        var total = Stopwatch.StartNew();
        PeerBenchmark.Print($"wal-reader: {o.Jobs:N0} jobs pushed, reader held {o.Seconds} s, {o.Workers} workers, producer {o.Rate:N0}/s, " +
                            $"CheckpointInterval {o.CheckpointSeconds} s, WalSizeLimitBytes {o.WalLimitMiB} MiB; " +
                            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, SQLite {PeerBenchmark.SqliteVersion()}, load average {LoadRig.MachineLoad()}");
        var with = await RunOnceAsync(o, maintenance: true);
        PeerBenchmark.Print($"with maintenance: {with}");
        var without = await RunOnceAsync(o, maintenance: false);
        PeerBenchmark.Print($"without (baseline): {without}");
        PeerBenchmark.Print($"total {total.Elapsed.TotalSeconds:F1} s; load average {LoadRig.MachineLoad()}");

        var limit = (long)o.WalLimitMiB << 20;
        var result = new WalReaderResult(
            Mode: "wal-reader",
            Jobs: o.Jobs,
            ReaderSeconds: o.Seconds,
            Workers: o.Workers,
            Rate: o.Rate,
            CheckpointSeconds: o.CheckpointSeconds,
            WalLimitBytes: limit,
            WithMaintenance: with,
            Baseline: without,
            BackUnderLimitWithinInterval: with.SecondsToUnderLimit is { } s && s <= o.CheckpointSeconds,
            IdleWalIsZero: with.IdleWalBytes == 0,
            Seconds: Math.Round(total.Elapsed.TotalSeconds, 1));
        Console.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
        return with.Drained && without.Drained && with.FailedCalls == 0 && without.FailedCalls == 0 ? 0 : 1;
    }

    private static async Task<WalReaderRun> RunOnceAsync(MaintenanceProbeOptions o, bool maintenance)
    {
        var path = BenchmarkData.NewDatabasePath();
        var limit = (long)o.WalLimitMiB << 20;
        var interval = TimeSpan.FromSeconds(o.CheckpointSeconds);
        try
        {
            await using var queue = BenchmarkData.OpenQueue(path);
            using var stopMaintenance = new CancellationTokenSource();
            var maintenanceRun = maintenance
                ? Task.Run(() => queue.RunMaintenanceAsync(new MaintenanceOptions { CheckpointInterval = interval, WalSizeLimitBytes = limit }, stopMaintenance.Token))
                : Task.CompletedTask;

            await using var sampler = new WalSampler(path, SampleEvery);
            var reader = new SqliteConnection($"Data Source={path};Pooling=False");
            await reader.OpenAsync();
            var snapshot = reader.BeginTransaction(deferred: true);
            await using (var select = reader.CreateCommand())
            {
                select.Transaction = snapshot;
                select.CommandText = "SELECT COUNT(*) FROM queue_jobs;";
                await select.ExecuteScalarAsync();
            }

            var opened = Stopwatch.GetTimestamp();
            var rig = LoadRig.Start(queue, o.Workers, o.Rate, maxJobs: o.Jobs);
            await Task.Delay(TimeSpan.FromSeconds(o.Seconds));
            var atClose = sampler.Size();
            snapshot.Commit();
            snapshot.Dispose();
            await reader.DisposeAsync();
            var closed = Stopwatch.GetTimestamp();
            var peakHeld = Math.Max(atClose, sampler.Samples.Where(s => s.At >= opened && s.At < closed).Select(s => s.Bytes).DefaultIfEmpty(0).Max());

            // Watched at the sampler's resolution; the first sample at or under the limit after the close counts.
            double? underAfter = null;
            var watchUntil = closed + (long)(3 * interval.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < watchUntil)
            {
                var first = sampler.Samples.FirstOrDefault(s => s.At >= closed && s.Bytes <= limit);
                if (first.At != 0)
                {
                    underAfter = Math.Round(Stopwatch.GetElapsedTime(closed, first.At).TotalSeconds, 2);
                    break;
                }

                await Task.Delay(SampleEvery / 5);
            }

            await rig.Produced;
            using var drainTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var drained = true;
            try
            {
                await queue.Client.WaitUntilIdleAsync(QueueNames.Default, drainTimeout.Token);
            }
            catch (OperationCanceledException)
            {
                drained = false;
            }

            await rig.StopAsync();
            var drainedAt = Stopwatch.GetTimestamp();
            await Task.Delay(2.5 * interval);
            var idle = sampler.Size();
            var peakAfter = sampler.Samples.Where(s => s.At >= closed).Select(s => s.Bytes).DefaultIfEmpty(0).Max();
            await stopMaintenance.CancelAsync();
            await maintenanceRun;

            var completed = (await PeerBenchmark.CountByStateAsync(path)).GetValueOrDefault("completed");
            return new WalReaderRun(
                Maintenance: maintenance,
                PeakWhileHeldBytes: peakHeld,
                AtReaderCloseBytes: atClose,
                SecondsToUnderLimit: underAfter,
                PeakAfterCloseBytes: peakAfter,
                IdleWalBytes: idle,
                IdleSecondsWaited: Math.Round(Stopwatch.GetElapsedTime(drainedAt).TotalSeconds, 1),
                Drained: drained && completed == o.Jobs,
                ClaimsWhileHeld: rig.ClaimsBetween(opened, closed),
                ClaimsAfterClose: rig.ClaimsBetween(closed, drainedAt),
                FailedCalls: rig.Failures,
                Samples: sampler.Samples.Count);
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }
}

/// <summary>One run of <see cref="WalReaderProbe"/>: WAL sizes in bytes, and what the workers saw meanwhile.</summary>
internal sealed record WalReaderRun(
    bool Maintenance, long PeakWhileHeldBytes, long AtReaderCloseBytes, double? SecondsToUnderLimit, long PeakAfterCloseBytes,
    long IdleWalBytes, double IdleSecondsWaited, bool Drained, ClaimWindow ClaimsWhileHeld, ClaimWindow ClaimsAfterClose, int FailedCalls, int Samples)
{
    private static string MiB(long bytes) => (bytes / (1024.0 * 1024)).ToString("N1", CultureInfo.InvariantCulture) + " MiB";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"WAL peak while the reader was held {MiB(PeakWhileHeldBytes)}, at its close {MiB(AtReaderCloseBytes)}, " +
        $"back at or under the limit {(SecondsToUnderLimit is { } s ? $"{s:F1} s after the close" : "not within 3 checkpoint intervals")}, " +
        $"idle {MiB(IdleWalBytes)} ({IdleSecondsWaited:F1} s after the drain); drained {Drained}; failed calls {FailedCalls}" +
        $"\n  claims while the reader was held: {ClaimsWhileHeld}\n  claims from its close to the drain: {ClaimsAfterClose}");
}

internal sealed record WalReaderResult(
    string Mode, int Jobs, double ReaderSeconds, int Workers, int Rate, double CheckpointSeconds, long WalLimitBytes,
    WalReaderRun WithMaintenance, WalReaderRun Baseline, bool BackUnderLimitWithinInterval, bool IdleWalIsZero, double Seconds);
