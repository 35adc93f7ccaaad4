using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Diagnostics;

namespace SqliteQueue.Internal.Storage;

/// <summary>What the store reports of itself: its instruments, its file, and the statistics both the client and the instruments read.</summary>
internal sealed partial class JobStore
{
    // A collector waits at most this long for a memory database's writer, which its reads share with the writes.
    private static readonly TimeSpan MemoryReadWait = TimeSpan.FromMilliseconds(250);

    /// <summary>This store's instruments, on its own meter.</summary>
    public QueueMetrics Metrics { get; }

    /// <summary>The database file SQLite opened, once it is open; null before, and for a memory database.</summary>
    public string? FilePath { get; private set; }

    /// <summary>
    /// The statistics, read now on the calling thread, for an observable instrument's callback (which cannot await).
    /// Null before the store is opened, once it is disposed, and when a memory database's writer stays busy.
    /// </summary>
    public QueueStats? ReadStatsNow()
    {
        if (!_initialized || _disposed)
        {
            return null;
        }

        if (!IsMemory)
        {
            using var connection = _connections.OpenReader();
            return ReadStats(this, connection);
        }

        if (!_commit.Gate.Wait(MemoryReadWait))
        {
            return null;
        }

        try
        {
            return _disposed ? null : ReadStats(this, EnsureWriter());
        }
        finally
        {
            _commit.Gate.Release();
        }
    }

    /// <summary>Counts by queue and state and the runnable backlog, from one snapshot; see <see cref="JobSql.CountByQueueAndState"/>.</summary>
    public static QueueStats ReadStats(JobStore s, SqliteConnection c)
    {
        var now = s.NowMs;

        // One read transaction, so the counts and the runnable ages come from the same snapshot.
        using var tx = c.BeginTransaction(deferred: true);
        var counts = c.Query<CountRow>(new CommandDefinition(s.Sql[JobSql.CountByQueueAndState], transaction: tx)).ToList();
        var runnable = c.Query<RunnableRow>(new CommandDefinition(s.Sql[JobSql.RunnableByQueue], new { now }, tx))
            .ToDictionary(r => r.Queue, StringComparer.Ordinal);
        tx.Commit();

        var queues = new List<QueueStatistics>();
        foreach (var group in counts.GroupBy(r => r.Queue, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            long Count(string state) => group.Where(r => r.State == state).Sum(r => r.Count);
            runnable.TryGetValue(group.Key, out var r);
            queues.Add(new QueueStatistics(
                group.Key,
                Pending: Count(States.Pending),
                Runnable: r?.Count ?? 0,
                Running: Count(States.Running),
                Completed: Count(States.Completed),
                Dead: Count(States.Dead),
                Cancelled: Count(States.Cancelled),
                OldestRunnableAge: r is null ? null : TimeSpan.FromMilliseconds(Math.Max(0, now - r.OldestRunAt))));
        }

        return new QueueStats(queues);
    }
}
