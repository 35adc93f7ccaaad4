using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// <c>prune-load</c>: what a prune of a large history costs the workers. A file holds <c>--jobs</c> jobs completed two
/// days ago, each with its execution row. A producer enqueues at <c>--rate</c> per second and <c>--workers</c> workers
/// claim and complete; after a warm-up (2 seconds, or <c>--seconds</c> if shorter), phase A runs <c>--seconds</c>
/// without a prune, then phase B starts <see cref="IQueueMaintenance.PruneAsync"/> (completed jobs kept 1 hour, so the whole history goes) and runs until
/// both <c>--seconds</c> have passed and the prune has returned. Every claim call is timed; the claims compared with
/// phase A are those that started while the prune ran. The writer's transactions are timed from the connection
/// (<see cref="WriteTransactionTrace"/>), so the prune's longest transaction is measured from outside as well as read
/// from <see cref="PruneResult.LongestBatch"/>. Prints one line per figure, then one JSON line.
/// </summary>
internal static class PruneLoadProbe
{
    private const double LongestTransactionTargetMs = 50;
    private const double P99RatioTarget = 2;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var o = MaintenanceProbeOptions.Parse(args, new MaintenanceProbeOptions(1_000_000, 20, 3, 2_000, 10, 64, 900));
        if (o is null)
        {
            await Console.Error.WriteLineAsync(MaintenanceProbeOptions.Usage("prune-load"));
            return 2;
        }

        var total = Stopwatch.StartNew();
        PeerBenchmark.Print($"prune-load: {o.Jobs:N0} finished jobs, {o.Seconds} s per phase, {o.Workers} workers, producer {o.Rate:N0}/s; " +
                            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, SQLite {PeerBenchmark.SqliteVersion()}, load average {LoadRig.MachineLoad()}");
        var path = HistoryFile.Create(o.Jobs, payloadBytes: null);
        try
        {
            var fileBytes = new FileInfo(path).Length;
            await using var queue = BenchmarkData.OpenQueue(path);
            var trace = await WriteTransactionTrace.AttachAsync(queue, "DELETE FROM queue_jobs");
            var rig = LoadRig.Start(queue, o.Workers, o.Rate);
            // A smoke run's phases are shorter than the warm-up; so is its warm-up.
            await Task.Delay(WarmUp < TimeSpan.FromSeconds(o.Seconds) ? WarmUp : TimeSpan.FromSeconds(o.Seconds));

            var phaseA = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(o.Seconds));
            var phaseB = Stopwatch.GetTimestamp();
            var pruneEnd = 0L;
            var prune = queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.FromHours(1) })
                .ContinueWith(t => { pruneEnd = Stopwatch.GetTimestamp(); return t; }, TaskScheduler.Default).Unwrap();
            await Task.WhenAll(prune, Task.Delay(TimeSpan.FromSeconds(o.Seconds)));
            var end = Stopwatch.GetTimestamp();
            await rig.StopAsync();
            var pruned = await prune;

            var without = rig.ClaimsBetween(phaseA, phaseB);
            var during = rig.ClaimsBetween(phaseB, pruneEnd);
            var wholeB = rig.ClaimsBetween(phaseB, end);
            var pruneTx = trace.Between(phaseB, end, marked: true);
            var otherTxA = trace.Between(phaseA, phaseB, marked: false);
            var otherTxB = trace.Between(phaseB, pruneEnd, marked: false);
            var ratio = without.Latency is { P99Ms: > 0 } a && during.Latency is { } d ? Math.Round(d.P99Ms / a.P99Ms, 2) : double.NaN;

            PeerBenchmark.Print($"file: {fileBytes / (1024.0 * 1024):N0} MiB");
            PeerBenchmark.Print(string.Create(CultureInfo.InvariantCulture,
                $"prune: {pruned.Total:N0} jobs in {pruned.Duration.TotalSeconds:F2} s, {pruned.Batches:N0} batches, LongestBatch {pruned.LongestBatch.TotalMilliseconds:F2} ms"));
            PeerBenchmark.Print($"prune write transactions, BEGIN to end of COMMIT on the writer: {pruneTx.Count:N0}, p99 {pruneTx.P99Ms:F2} ms, longest {pruneTx.MaxMs:F2} ms (target <= {LongestTransactionTargetMs} ms)");
            PeerBenchmark.Print($"other write transactions, phase A: {otherTxA.Count:N0}, p99 {otherTxA.P99Ms:F2} ms, longest {otherTxA.MaxMs:F2} ms; during the prune: {otherTxB.Count:N0}, p99 {otherTxB.P99Ms:F2} ms, longest {otherTxB.MaxMs:F2} ms");
            PeerBenchmark.Print($"claims, phase A (no prune): {without}");
            PeerBenchmark.Print($"claims, while the prune ran: {during}");
            PeerBenchmark.Print($"claims, all of phase B: {wholeB}");
            PeerBenchmark.Print($"claim p99 ratio, during prune / without: {ratio:F2} (target <= {P99RatioTarget})");
            PeerBenchmark.Print($"enqueues/s: phase A {rig.EnqueuesPerSecond(phaseA, phaseB):N0}, during the prune {rig.EnqueuesPerSecond(phaseB, pruneEnd):N0}; failed calls {rig.Failures}");
            PeerBenchmark.Print($"total {total.Elapsed.TotalSeconds:F1} s; load average {LoadRig.MachineLoad()}");

            var result = new PruneLoadResult(
                Mode: "prune-load",
                HistoryJobs: o.Jobs,
                FileBytes: fileBytes,
                Workers: o.Workers,
                Rate: o.Rate,
                PhaseSeconds: o.Seconds,
                Pruned: pruned.Total,
                PruneSeconds: Math.Round(pruned.Duration.TotalSeconds, 3),
                Batches: pruned.Batches,
                LongestBatchMs: Math.Round(pruned.LongestBatch.TotalMilliseconds, 3),
                PruneTransactions: pruneTx,
                OtherTransactionsWithout: otherTxA,
                OtherTransactionsDuring: otherTxB,
                ClaimsWithout: without,
                ClaimsDuringPrune: during,
                ClaimsPhaseB: wholeB,
                P99Ratio: ratio,
                EnqueuesPerSecondWithout: rig.EnqueuesPerSecond(phaseA, phaseB),
                EnqueuesPerSecondDuring: rig.EnqueuesPerSecond(phaseB, pruneEnd),
                FailedCalls: rig.Failures,
                LongestTransactionMet: pruneTx.MaxMs <= LongestTransactionTargetMs && pruned.LongestBatch.TotalMilliseconds <= LongestTransactionTargetMs,
                P99RatioMet: ratio <= P99RatioTarget,
                Seconds: Math.Round(total.Elapsed.TotalSeconds, 1));
            Console.WriteLine(JsonSerializer.Serialize(result, JsonOptions));

            // The figures are reported whatever they are; only a prune that missed jobs, or a load that failed, is an error.
            return pruned.Total == o.Jobs && pruned.Completed == o.Jobs && rig.Failures == 0 ? 0 : 1;
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }
}

internal sealed record PruneLoadResult(
    string Mode, int HistoryJobs, long FileBytes, int Workers, int Rate, double PhaseSeconds,
    long Pruned, double PruneSeconds, int Batches, double LongestBatchMs,
    TransactionFigure PruneTransactions, TransactionFigure OtherTransactionsWithout, TransactionFigure OtherTransactionsDuring,
    ClaimWindow ClaimsWithout, ClaimWindow ClaimsDuringPrune, ClaimWindow ClaimsPhaseB, double P99Ratio,
    double EnqueuesPerSecondWithout, double EnqueuesPerSecondDuring, int FailedCalls,
    bool LongestTransactionMet, bool P99RatioMet, double Seconds);
