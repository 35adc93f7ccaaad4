using Microsoft.Extensions.Logging;
using SqliteQueue.Events;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Recurring;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Recurring;

/// <summary>
/// Fires recurring jobs in this process. It sleeps until the earliest next run of any active schedule, read from
/// the file, and then ticks (<see cref="RecurringTick"/>). Any number of processes may run one on the same file:
/// the tick's transaction decides which of them fires each occurrence, so there is no leader to elect or lose.
/// A schedule changed in this process wakes it at once; one changed by another process is noticed within the
/// store's poll interval, by SQLite's data version.
/// </summary>
internal sealed class RecurringScheduler(IRecurringStore store, RecurringJobs jobs, ILogger logger)
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>Runs until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        long? due = null;
        var stale = true;
        var version = 0L;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var changed = jobs.Changed.NextChange;
                if (stale)
                {
                    version = store.ReadDataVersion();
                    due = await store.RecurringReadAsync(0, static (r, _) => r.NextDue(), cancellationToken).ConfigureAwait(false);
                    stale = false;
                }

                var now = store.NowMs;
                if (due is { } at && at <= now)
                {
                    // Whether more were due than one tick takes or not, the next due time is read again.
                    await TickAsync(cancellationToken).ConfigureAwait(false);
                    stale = true;
                    failures = 0;
                    continue;
                }

                var wait = store.Options.PollInterval;
                if (due is { } next && TimeSpan.FromMilliseconds(next - now) < wait)
                {
                    wait = TimeSpan.FromMilliseconds(next - now);
                }

                await Task.WhenAny(changed, Task.Delay(wait, store.Time, cancellationToken)).ConfigureAwait(false);
                stale = changed.IsCompleted || (!cancellationToken.IsCancellationRequested && store.ReadDataVersion() != version);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The file is locked, full or gone for a moment: nothing was committed, so nothing is lost; try
                // again after a growing pause.
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, store.Options.PollInterval.TotalMilliseconds * failures));
                logger.SchedulerFailed(ex, delay);
                stale = true;
                await Task.Delay(delay, store.Time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Fires what is due now, in one transaction, and logs what it did once committed.</summary>
    public async Task<TickResult> TickAsync(CancellationToken cancellationToken)
    {
        var result = await store.RecurringWriteAsync(jobs.Tick, static (w, tick) => tick.Run(w), makesWorkDue: true, cancellationToken).ConfigureAwait(false);
        if (result.Queues.Count > 0)
        {
            store.Changes.Notify();
            store.Available.Notify();
        }

        var observed = store.Events.HasObservers;
        foreach (var e in result.Events)
        {
            var at = Times.FromMs(e.OccurrenceAt);
            store.Metrics.Occurrence(e.Name, RecurringWords.Of(e.Outcome));
            if (observed && e.JobId is { } id && e.Queue is not null && e.Type is not null)
            {
                store.Events.Raise(new JobEvent(JobEventKind.Enqueued, id, e.Queue, e.Type, 0, Times.FromMs(result.At)));
            }

            switch (e.Outcome)
            {
                case RecurringOutcome.Fired:
                    logger.RecurringFired(e.Name, e.JobId!.Value, at);
                    break;
                case RecurringOutcome.CaughtUp:
                    logger.RecurringCaughtUp(e.Name, e.JobId!.Value, e.Missed, at);
                    break;
                case RecurringOutcome.Broken:
                    logger.RecurringBroken(e.Name, e.Detail ?? "");
                    break;
                default:
                    logger.RecurringSkipped(e.Name, at, e.Detail ?? e.Outcome.ToString());
                    break;
            }
        }

        return result;
    }
}
