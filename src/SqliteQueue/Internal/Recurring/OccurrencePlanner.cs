using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Recurring;

/// <summary>One job the tick should enqueue: the occurrence it stands for, and how many missed occurrences it makes up for (0 when on time).</summary>
internal readonly record struct PlannedFire(long OccurrenceAt, long Missed);

/// <summary>
/// What a schedule does with the occurrences from its next run up to now: the jobs to enqueue, the occurrences it
/// drops (a count, and the first and last of them), and where it stands afterwards.
/// </summary>
internal sealed record OccurrencePlan(List<PlannedFire> Fires, long Skipped, long? FirstSkipped, long? LastSkipped, bool SkippedIsLowerBound, long Last, long? Next);

/// <summary>
/// Applies a schedule's misfire policy. Pure: the schedule is a function from an instant to the next occurrence,
/// and "now" is an argument, so the same rows give the same plan in every process.
/// </summary>
internal static class OccurrencePlanner
{
    /// <summary>Occurrences walked one by one before a long outage of a frequent schedule is jumped over.</summary>
    internal const int StepLimit = 100_000;

    /// <param name="nextAfter">The first occurrence strictly after an instant (Unix ms), or null when there is none.</param>
    /// <param name="first">The schedule's next run: the first occurrence not yet handled, due (at or before <paramref name="now"/>).</param>
    /// <param name="now">Now, Unix ms.</param>
    /// <param name="misfire">The policy for occurrences older than <paramref name="graceMs"/>.</param>
    /// <param name="graceMs">How late an occurrence may be and still fire as on time.</param>
    /// <param name="cap">The most jobs one schedule enqueues in one tick.</param>
    public static OccurrencePlan Plan(Func<long, long?> nextAfter, long first, long now, Misfire misfire, long graceMs, int cap)
    {
        var cutoff = now - graceMs;
        var missed = new Queue<long>();
        var onTime = new Queue<long>();
        long missedCount = 0, droppedOnTime = 0;
        long? firstMissed = null, firstDroppedOnTime = null;
        var lowerBound = false;
        long last = first;
        long? occurrence = first;
        var steps = 0;
        while (occurrence is { } at && at <= now)
        {
            last = at;
            if (at < cutoff)
            {
                missedCount++;
                firstMissed ??= at;
                Keep(missed, at, cap);
            }
            else if (Keep(onTime, at, cap) is { } dropped)
            {
                droppedOnTime++;
                firstDroppedOnTime ??= dropped;
            }

            occurrence = nextAfter(at);
            if (++steps == StepLimit && occurrence is { } resume && resume < cutoff)
            {
                // Walking a year-long outage of a per-second schedule would take minutes: resume close enough to
                // the cutoff to still see the last `cap` missed occurrences, and count the rest as "at least".
                var gap = Math.Max(1, resume - at);
                var from = cutoff - (gap * (cap + 1L));
                if (from > resume)
                {
                    occurrence = nextAfter(from);
                    lowerBound = true;
                }
            }
        }

        var fires = new List<PlannedFire>();
        long skipped = droppedOnTime;
        long? firstSkipped = firstDroppedOnTime;
        long? lastSkipped = firstDroppedOnTime is null ? null : last;
        void Skip(long count, long? from, long? to)
        {
            if (count == 0)
            {
                return;
            }

            skipped += count;
            firstSkipped = firstSkipped is { } f && from is { } g ? Math.Min(f, g) : firstSkipped ?? from;
            lastSkipped = lastSkipped is { } l && to is { } t ? Math.Max(l, t) : lastSkipped ?? to;
        }

        var lastMissed = missed.Count > 0 ? missed.Last() : (long?)null;
        switch (misfire)
        {
            case Misfire.RunAll:
                Skip(missedCount - missed.Count, firstMissed, missed.Count > 0 ? missed.Peek() - 1 : lastMissed);
                fires.AddRange(missed.Select(at => new PlannedFire(at, 1)));
                break;
            case Misfire.RunOnce when onTime.Count == 0 && lastMissed is { } latest:
                fires.Add(new PlannedFire(latest, missedCount));
                break;
            default:
                Skip(missedCount, firstMissed, lastMissed);
                break;
        }

        fires.AddRange(onTime.Select(at => new PlannedFire(at, 0)));
        return new OccurrencePlan(fires, skipped, firstSkipped, lastSkipped, lowerBound, last, occurrence);
    }

    /// <summary>Keeps the newest <paramref name="cap"/> entries; returns the one pushed out, if any.</summary>
    private static long? Keep(Queue<long> kept, long at, int cap)
    {
        kept.Enqueue(at);
        return kept.Count > cap ? kept.Dequeue() : null;
    }
}
