using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// Walks the jobs table a window of ids at a time, one short write transaction per window, so a bulk change of a
/// million jobs never holds the write lock for long: claims and completions of every process get the lock between
/// windows. A claim that arrives while a window runs waits for it, and one committed in the same group waits for its
/// statements too, so the window aims at about a millisecond of work: it grows while its statements are quicker than
/// that and shrinks when they are slower (what is timed is the statements; the commit, which writes the deleted pages,
/// comes on top). A window starts only once the writes waiting for the lock have gone through (or after a short wait),
/// so it rarely shares a commit with them, and the sweep pauses after each window nine times as long as it took: a
/// sweep holds the lock a tenth of the time at most, so few claims ever meet one (a prune of a million jobs takes a few
/// minutes in the background rather than one, and a minute's worth of finished jobs a fraction of a second).
/// </summary>
internal sealed class WindowSweep
{
    private const long FirstWindow = 500;
    private const long MinWindow = 20;
    private const long MaxWindow = 5000;
    private static readonly TimeSpan SlowWindow = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan QuickWindow = TimeSpan.FromMilliseconds(0.7);
    private static readonly TimeSpan MaxWaitForWriters = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MinPause = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(100);

    /// <summary>What one window did: the rows it changed, whether the sweep can stop here, and how long its statements took.</summary>
    public readonly record struct Step(long Changed, bool Done, TimeSpan Took);

    /// <summary>Write transactions used.</summary>
    public int Windows { get; private set; }

    /// <summary>The longest a window's work took inside its transaction.</summary>
    public TimeSpan Longest { get; private set; }

    /// <summary>Rows changed in all.</summary>
    public long Changed { get; private set; }

    /// <summary>
    /// Runs <paramref name="window"/>, one write each, over every window of ids (after its first argument, up to its
    /// second) from the lowest id to the highest one present when the sweep starts (jobs added later are not this
    /// sweep's business).
    /// </summary>
    public async Task RunAsync<TState>(
        IMaintenanceStore store, TState state, Func<TState, long, long, CancellationToken, Task<Step>> window, CancellationToken cancellationToken)
    {
        if (await store.ReadJobIdBoundsAsync(cancellationToken).ConfigureAwait(false) is not var (min, max))
        {
            return;
        }

        var from = min - 1;
        var size = FirstWindow;
        while (from < max)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var waited = 0; store.WaitingWrites > 0 && waited < MaxWaitForWriters.TotalMilliseconds; waited++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }

            var to = Math.Min(from + size, max);
            var step = await window(state, from, to, cancellationToken).ConfigureAwait(false);
            var took = step.Took;

            Windows++;
            Changed += step.Changed;
            Longest = took > Longest ? took : Longest;
            if (step.Done)
            {
                return;
            }

            from = to;
            // A window far over its aim (a cold page cache, a busy disk) shrinks at once by as much.
            size = took > SlowWindow * 4 ? Math.Max(MinWindow, size / 4)
                : took > SlowWindow ? Math.Max(MinWindow, size / 2)
                : took < QuickWindow ? Math.Min(MaxWindow, size * 3 / 2)
                : size;

            // Real time, like the lock it yields: an injected test clock that never moves must not stall a sweep.
            var pause = took * 9;
            await Task.Delay(pause < MinPause ? MinPause : pause > MaxPause ? MaxPause : pause, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }
}
