using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// Completions, set-based: a batch of them is two statements (<see cref="JobSql.CompleteJobs"/>) however many jobs it
/// holds, each job still fenced by its own lease token. Writes submitted as completions
/// (<see cref="CompleteAsync"/>) that follow each other in a group commit are run as one such batch (see
/// <see cref="CompletionWrite"/>).
/// </summary>
internal sealed partial class JobStore
{
    // Below this a batch is cheaper as one CompleteJob per job: the JSON costs more than it saves.
    private const int SetBasedFrom = 2;

    private readonly Dictionary<long, int> _completing = [];
    private readonly System.Text.StringBuilder _batchJson = new();

    /// <summary>
    /// Completes <paramref name="jobs"/> at <paramref name="now"/>, each only while it still holds the lease of its
    /// token; returns which were completed, in order. A job named twice is completed once, by its first entry.
    /// </summary>
    public bool[] CompleteMany(SqliteTransaction tx, IReadOnlyList<ClaimedJob> jobs, long now)
    {
        var applied = new bool[jobs.Count];
        if (jobs.Count < SetBasedFrom || !Distinct(jobs))
        {
            // A job named twice (perhaps with two tokens) is settled entry by entry, as each entry would be alone:
            // one join would give it two history rows.
            for (var i = 0; i < jobs.Count; i++)
            {
                applied[i] = Complete(tx, jobs[i].Id, jobs[i].LeaseToken, jobs[i].Queue, now);
            }

            return applied;
        }

        var json = _batchJson.Clear().Append('[');
        for (var i = 0; i < jobs.Count; i++)
        {
            json.Append(i == 0 ? "[" : ",[")
                .Append(jobs[i].Id.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(jobs[i].LeaseToken.ToString(CultureInfo.InvariantCulture)).Append(']');
        }

        var command = Raw(JobSql.CompleteJobs, tx);
        command.Set("@batch", json.Append(']').ToString());
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
            _completing.Clear();
        }

        for (var i = 0; i < applied.Length; i++)
        {
            if (applied[i])
            {
                Counts.Add(jobs[i].Queue, States.Completed, +1);
            }
        }

        return applied;
    }

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
