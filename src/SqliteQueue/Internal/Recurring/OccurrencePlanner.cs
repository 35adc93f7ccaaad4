using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Recurring;

/// <summary>One job the tick should enqueue: the occurrence it stands for, and how many missed occurrences it makes up for (0 when on time).</summary>
internal readonly record struct PlannedFire(long OccurrenceAt, long Missed);

/// <summary>
/// What a schedule does with the occurrences from its next run up to now: the jobs to enqueue, the occurrences it
/// drops (a count, and the first and last of them: every dropped one is older than every fired one), and where it
/// stands afterwards.
/// </summary>
internal sealed record OccurrencePlan(List<PlannedFire> Fires, long Skipped, long? FirstSkipped, long? LastSkipped, bool SkippedIsLowerBound, long Last, long? Next);

/// <summary>
/// Applies a schedule's misfire policy. Pure: the schedule is a function from an instant to the next occurrence,
/// and "now" is an argument, so the same rows give the same plan in every process.
/// </summary>
/// <remarks>
/// The due occurrences are ordered, the missed ones (older than now minus the grace period) first. Whatever the
/// policy, the jobs fired are the newest few of them, at most <c>cap</c>: all of them under RunAll; the on-time ones
/// under Skip, and under RunOnce when there are any; otherwise under RunOnce the latest missed one alone, standing for
/// all the missed ones. So only the newest <c>cap + 1</c> due occurrences need to be kept while walking.
/// </remarks>
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
        var recent = new Queue<long>(Math.Min(cap + 1, 1024));
        long due = 0, onTime = 0;
        var lowerBound = false;
        long? occurrence = first;
        while (occurrence is { } at && at <= now)
        {
            due++;
            if (at >= cutoff)
            {
                onTime++;
            }

            recent.Enqueue(at);
            if (recent.Count > cap + 1)
            {
                recent.Dequeue();
            }

            occurrence = nextAfter(at);
            if (due == StepLimit && occurrence is { } resume && resume < cutoff)
            {
                // Walking a year-long outage of a per-second schedule would take minutes: resume close enough to
                // the cutoff to still see the newest `cap` missed occurrences, and count the rest as "at least".
                var gap = Math.Max(1, resume - at);
                var from = cutoff - (gap * (cap + 1L));
                if (from > resume)
                {
                    occurrence = nextAfter(from);
                    lowerBound = true;
                }
            }
        }

        var catchUpAlone = misfire == Misfire.RunOnce && onTime == 0 && due > 0;
        var count = misfire switch
        {
            Misfire.RunAll => Math.Min(due, cap),
            _ when catchUpAlone => 1,
            _ => Math.Min(onTime, cap),
        };

        var kept = recent.ToArray();
        var fires = new List<PlannedFire>((int)count);
        for (var i = kept.Length - (int)count; i < kept.Length; i++)
        {
            var at = kept[i];
            var missed = at >= cutoff ? 0 : catchUpAlone ? due - onTime : 1;
            fires.Add(new PlannedFire(at, missed));
        }

        // Under RunOnce the one catch-up job stands for every missed occurrence: none of them is dropped.
        var skipped = catchUpAlone ? 0 : due - count;
        long? firstSkipped = skipped > 0 ? first : null;
        long? lastSkipped = skipped > 0 ? kept[kept.Length - (int)count - 1] : null;
        return new OccurrencePlan(fires, skipped, firstSkipped, lastSkipped, lowerBound && skipped > 0, due > 0 ? kept[^1] : first, occurrence);
    }
}
