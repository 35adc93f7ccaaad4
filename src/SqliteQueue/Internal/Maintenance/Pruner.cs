using System.Diagnostics;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// Deletes finished jobs past their retention by walking ids (see <see cref="WindowSweep"/>): there is no index over
/// finished jobs, and adding one would cost every completion. Ids grow with creation time, so the walk stops at the
/// first job created after every cutoff; what it reads beyond the deleted rows is only what is kept on purpose.
/// </summary>
internal static class Pruner
{
    /// <summary>The least the throughput series is kept, whatever the retention.</summary>
    public static readonly TimeSpan MinThroughputKept = TimeSpan.FromDays(14);

    public static async Task<PruneResult> PruneAsync(IMaintenanceStore store, RetentionOptions retention, MaintenanceLease? fence, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var now = store.NowMs;
        var cutoffs = new PruneCutoffs(
            Before(now, retention.Completed), Before(now, retention.Cancelled), Before(now, retention.Dead));
        var counts = new long[3];
        var sweep = new WindowSweep();
        if (cutoffs.Latest > long.MinValue)
        {
            await sweep.RunAsync(store, (store, cutoffs, counts, fence), static async (a, from, to, ct) =>
            {
                var w = await a.store.PruneWindowAsync(a.cutoffs, from, to, a.fence, ct).ConfigureAwait(false);
                a.counts[0] += w.Completed;
                a.counts[1] += w.Cancelled;
                a.counts[2] += w.Dead;
                return new WindowSweep.Step(w.Completed + w.Cancelled + w.Dead, w.Done, w.Took);
            }, cancellationToken).ConfigureAwait(false);
        }

        // The throughput series goes by a range of its primary key, in one short write of its own (not counted in
        // Batches, which are the job deletes).
        if (ThroughputBefore(now, retention) is { } beforeMinute)
        {
            await store.PruneThroughputAsync(beforeMinute, fence, cancellationToken).ConfigureAwait(false);
        }

        return new PruneResult(counts[0], counts[1], counts[2], sweep.Windows, sweep.Longest, clock.Elapsed);
    }

    /// <summary>
    /// The first minute of the throughput series to keep: the longest retention back, or 14 days if longer; null (keep
    /// it all) when a state is kept forever.
    /// </summary>
    internal static long? ThroughputBefore(long now, RetentionOptions retention)
    {
        if (retention.Completed is not { } completed || retention.Cancelled is not { } cancelled || retention.Dead is not { } dead)
        {
            return null;
        }

        var keep = new[] { completed, cancelled, dead, MinThroughputKept }.Max();
        return Times.FloorDiv(now - (long)keep.TotalMilliseconds, 60_000L);
    }

    // A state kept forever gets a cutoff no job can be older than.
    private static long Before(long now, TimeSpan? retention) =>
        retention is { } r ? now - (long)r.TotalMilliseconds : long.MinValue;

}
