using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// Walks the jobs table a window of ids at a time, one short write transaction per window, so a bulk change of a
/// million jobs never holds the write lock for long: claims and completions of every process get the lock between
/// windows. The window grows while its transactions are quick and halves when one is slow, and the sweep pauses
/// after each window about as long as the window took, leaving the writers at least half of the lock.
/// </summary>
internal sealed class WindowSweep
{
    private const long FirstWindow = 2000;
    private const long MinWindow = 50;
    private const long MaxWindow = 50_000;
    private static readonly TimeSpan SlowWindow = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan QuickWindow = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(20);

    /// <summary>What one window did: the rows it changed, and whether the sweep can stop here.</summary>
    public readonly record struct Step(long Changed, bool Done);

    /// <summary>Write transactions used.</summary>
    public int Windows { get; private set; }

    /// <summary>The longest a window's work took inside its transaction.</summary>
    public TimeSpan Longest { get; private set; }

    /// <summary>Rows changed in all.</summary>
    public long Changed { get; private set; }

    /// <summary>
    /// Runs <paramref name="window"/> over every window from the lowest id to the highest one present when the sweep
    /// starts (jobs added later are not this sweep's business), checking <paramref name="fence"/> first in each.
    /// </summary>
    public async Task RunAsync<TState>(
        JobStore store, TState state, Func<JobStore, SqliteTransaction, TState, long, long, Step> window,
        MaintenanceLease? fence, string? wakes, CancellationToken cancellationToken)
    {
        var (min, max) = await store.ReadAsync(0, static (s, c, _) =>
            c.QueryFirst<(long?, long?)>(new CommandDefinition(s.Sql[MaintenanceSql.IdBounds])), cancellationToken).ConfigureAwait(false);
        if (min is null || max is null)
        {
            return;
        }

        var from = min.Value - 1;
        var size = FirstWindow;
        while (from < max.Value)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var to = Math.Min(from + size, max.Value);
            var (step, took) = await store.WriteAsync((state, window, fence, from, to), static (s, tx, a) =>
            {
                a.fence?.Check(s, tx);
                var clock = Stopwatch.StartNew();
                var step = a.window(s, tx, a.state, a.from, a.to);
                return (step, clock.Elapsed);
            }, wakes, cancellationToken).ConfigureAwait(false);

            Windows++;
            Changed += step.Changed;
            Longest = took > Longest ? took : Longest;
            if (step.Done)
            {
                return;
            }

            from = to;
            size = took > SlowWindow ? Math.Max(MinWindow, size / 2) : took < QuickWindow ? Math.Min(MaxWindow, size * 2) : size;

            // Real time, like the lock it yields: an injected test clock that never moves must not stall a sweep.
            await Task.Delay(took < MaxPause ? took : MaxPause, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }
}
