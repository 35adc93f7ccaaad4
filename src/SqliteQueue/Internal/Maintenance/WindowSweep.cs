using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// Walks the jobs table a window of ids at a time, one short write transaction per window, so a bulk change of a
/// million jobs never holds the write lock for long: claims and completions of every process get the lock between
/// windows. The window grows while its work is quick and halves when it is slow, aiming at a few milliseconds: what is
/// timed is the window's own statements, while the transaction around them also holds the lock for its commit (which
/// writes the deleted pages) and for any writes grouped with it, so the aim is well below what a caller may wait. The
/// sweep pauses after each window twice as long as the window took, leaving the writers two thirds of the lock.
/// </summary>
internal sealed class WindowSweep
{
    private const long FirstWindow = 1000;
    private const long MinWindow = 50;
    private const long MaxWindow = 10_000;
    private static readonly TimeSpan SlowWindow = TimeSpan.FromMilliseconds(8);
    private static readonly TimeSpan QuickWindow = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan MinPause = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(40);

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
            var pause = took * 2;
            await Task.Delay(pause < MinPause ? MinPause : pause > MaxPause ? MaxPause : pause, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }
}
