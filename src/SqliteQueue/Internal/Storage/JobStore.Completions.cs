using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// Completions, set-based: a batch of them costs two statements per sixteen jobs (<see cref="JobSql.CompleteSixteen"/>)
/// where one job costs two, each job still fenced by its own lease token. Writes submitted as completions
/// (<see cref="CompleteAsync"/>) that follow each other in a group commit are run as one such batch (see
/// <see cref="CompletionWrite"/>).
/// </summary>
internal sealed partial class JobStore
{
    // From this many jobs the sixteen-slot statement beats CompleteJob per job: `complete-forms` measured 0.78 of
    // the per-job time at 6 jobs and 0.47 at 8, where a four-slot form took 1.28 at 4 (its temporary b-trees cost
    // about as much as two jobs' statements).
    private const int SetBasedFrom = 6;
    private const int Slots = 16;

    private readonly Dictionary<long, int> _completing = [];
    private (int Id, int Token)[]? _completeSlots;

    /// <summary>
    /// Completes <paramref name="jobs"/> at <paramref name="now"/>, each only while it still holds the lease of its
    /// token; returns which were completed, in order.
    /// </summary>
    public bool[] CompleteMany(SqliteTransaction tx, IReadOnlyList<ClaimedJob> jobs, long now)
    {
        var applied = new bool[jobs.Count];
        if (jobs.Count < SetBasedFrom || !Distinct(jobs))
        {
            // A job named twice (perhaps with two tokens) is settled entry by entry, as each entry would be alone.
            for (var i = 0; i < jobs.Count; i++)
            {
                applied[i] = Complete(tx, jobs[i].Id, jobs[i].LeaseToken, jobs[i].Queue, now);
            }

            return applied;
        }

        try
        {
            for (var start = 0; start < jobs.Count; start += Slots)
            {
                var count = Math.Min(Slots, jobs.Count - start);
                if (count >= SetBasedFrom)
                {
                    CompleteRun(tx, jobs, start, count, now, applied);
                    continue;
                }

                for (var i = start; i < start + count; i++)
                {
                    applied[i] = Complete(tx, jobs[i].Id, jobs[i].LeaseToken, jobs[i].Queue, now);
                }
            }
        }
        finally
        {
            _completing.Clear();
        }

        return applied;
    }

    /// <summary>Completes up to sixteen distinct jobs from <paramref name="start"/> in one statement pair.</summary>
    private void CompleteRun(SqliteTransaction tx, IReadOnlyList<ClaimedJob> jobs, int start, int count, long now, bool[] applied)
    {
        var command = Raw(JobSql.CompleteSixteen, tx);
        var slots = _completeSlots ??= SlotsOf(command, Slots);
        for (var k = 0; k < slots.Length; k++)
        {
            if (k < count)
            {
                command.Set(slots[k].Id, jobs[start + k].Id);
                command.Set(slots[k].Token, jobs[start + k].LeaseToken);
            }
            else
            {
                command.Set(slots[k].Id, (long?)null);
                command.Set(slots[k].Token, (long?)null);
            }
        }

        command.Set("@now", now);
        try
        {
            command.Start();
            while (command.Read())
            {
                // RETURNING comes in no promised order: each id finds its entry.
                applied[_completing[command.Int64(0)]] = true;
            }
        }
        finally
        {
            command.Finish();
        }

        for (var i = start; i < start + count; i++)
        {
            if (applied[i])
            {
                Counts.Add(jobs[i].Queue, States.Completed, +1);
            }
        }
    }

    private static (int Id, int Token)[] SlotsOf(RawCommand command, int width) =>
        [.. Enumerable.Range(0, width).Select(k => (
            command.Slot("@id" + k.ToString(CultureInfo.InvariantCulture)),
            command.Slot("@token" + k.ToString(CultureInfo.InvariantCulture))))];

    /// <summary>Indexes the jobs by id in <see cref="_completing"/>; false (and the index cleared) when an id repeats.</summary>
    private bool Distinct(IReadOnlyList<ClaimedJob> jobs)
    {
        _completing.Clear();
        for (var i = 0; i < jobs.Count; i++)
        {
            if (!_completing.TryAdd(jobs[i].Id, i))
            {
                _completing.Clear();
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Completes <paramref name="completed"/> and counts the attempts of the held jobs <paramref name="starting"/>, in
    /// one write that a group commit may join with the completions next to it (see <see cref="CompletionWrite"/>).
    /// </summary>
    public Task<CompletionResult> CompleteAsync(IReadOnlyList<ClaimedJob> completed, IReadOnlyList<ClaimedJob> starting, CancellationToken cancellationToken) =>
        _commit.Submit(new CompletionWrite(completed, starting), cancellationToken);
}
