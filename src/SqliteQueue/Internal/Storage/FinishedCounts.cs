using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// The changes this store's writes make to the finished-job counts (<c>{prefix}counts</c>) in the transaction being
/// built, added to the table just before it commits: one upsert per queue and state however many jobs changed, so a
/// group commit of many completions pays once. A write undone by its savepoint takes its changes back with it
/// (<see cref="RolledBackTo"/>); a transaction rolled back whole drops them all (<see cref="Clear"/>).
/// Called only by the writer, under the gate.
/// </summary>
internal sealed class FinishedCounts
{
    private readonly List<(string Queue, string State, int Delta)> _changes = [];

    public int Mark => _changes.Count;

    /// <summary>Off only in a benchmark's baseline, to measure what counting costs; the counts are then wrong.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A job of <paramref name="queue"/> entered (+1) or left (−1) <paramref name="state"/>; states that are not finished are ignored.</summary>
    public void Add(string queue, string state, int delta)
    {
        if (Enabled && state is States.Completed or States.Dead or States.Cancelled)
        {
            _changes.Add((queue, state, delta));
        }
    }

    public void RolledBackTo(int mark) => _changes.RemoveRange(mark, _changes.Count - mark);

    public void Clear() => _changes.Clear();

    /// <summary>Writes the changes, summed per queue and state, inside <paramref name="tx"/>.</summary>
    public void Flush(JobStore store, SqliteTransaction tx)
    {
        for (var i = 0; i < _changes.Count; i++)
        {
            var (queue, state, delta) = _changes[i];
            if (delta == 0)
            {
                continue;
            }

            // Later changes of the same queue and state join this one; they are few (a batch touches a queue or two).
            for (var j = i + 1; j < _changes.Count; j++)
            {
                if (_changes[j].Delta != 0 && _changes[j].State == state && _changes[j].Queue == queue)
                {
                    delta += _changes[j].Delta;
                    _changes[j] = (queue, state, 0);
                }
            }

            if (delta != 0)
            {
                var upsert = store.Raw(JobSql.AddToCount, tx);
                upsert.Set("@queue", queue);
                upsert.Set("@state", state);
                upsert.Set("@delta", delta);
                upsert.ExecuteNonQuery();
            }
        }

        _changes.Clear();
    }
}
