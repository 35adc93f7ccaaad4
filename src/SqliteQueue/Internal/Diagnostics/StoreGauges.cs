using System.Diagnostics.Metrics;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal.Diagnostics;

/// <summary>
/// What the store's observable instruments report when a collector asks: job counts and backlog age from the store's
/// statistics (the queries of <see cref="IQueueClient.GetStatsAsync"/>: index counts of the backlog and the counts table
/// for finished jobs, never a scan of the history), read at most once per <see cref="StatsLifetimeMs"/> so collectors
/// cannot hammer the file; and the sizes of the database and WAL files. A collector is never failed by the store: a
/// read that fails reports what was read last.
/// </summary>
internal sealed class StoreGauges(IJobStore store)
{
    /// <summary>How long one read of the statistics answers collections.</summary>
    public const long StatsLifetimeMs = 5000;

    private readonly Lock _lock = new();
    private QueueStats? _stats;
    private long _readAtMs;

    public IEnumerable<Measurement<long>> ObserveJobs()
    {
        var stats = Stats();
        if (stats is null)
        {
            yield break;
        }

        foreach (var q in stats.Queues)
        {
            yield return Count(q.Queue, States.Pending, q.Pending);
            yield return Count(q.Queue, States.Running, q.Running);
            yield return Count(q.Queue, States.Completed, q.Completed);
            yield return Count(q.Queue, States.Dead, q.Dead);
            yield return Count(q.Queue, States.Cancelled, q.Cancelled);
        }
    }

    public IEnumerable<Measurement<double>> ObserveOldestRunnableAge()
    {
        var stats = Stats();
        if (stats is null)
        {
            yield break;
        }

        foreach (var q in stats.Queues)
        {
            if (q.OldestRunnableAge is { } age)
            {
                yield return new Measurement<double>(age.TotalSeconds, new KeyValuePair<string, object?>(Tags.Destination, q.Queue));
            }
        }
    }

    public IEnumerable<Measurement<long>> ObserveDatabaseSize()
    {
        if (store is JobStore { FilePath: { } path })
        {
            yield return new Measurement<long>(StorageFiles.Length(path));
        }
    }

    public IEnumerable<Measurement<long>> ObserveWalSize()
    {
        if (store is JobStore { FilePath: { } path })
        {
            yield return new Measurement<long>(StorageFiles.WalLength(path));
        }
    }

    private static Measurement<long> Count(string queue, string state, long count) =>
        new(count, new KeyValuePair<string, object?>(Tags.Destination, queue), new KeyValuePair<string, object?>(Tags.State, state));

    private QueueStats? Stats()
    {
        lock (_lock)
        {
            var now = store.NowMs;
            if (_stats is not null && now >= _readAtMs && now - _readAtMs < StatsLifetimeMs)
            {
                return _stats;
            }

            try
            {
                if (store.ReadStatsNow() is { } fresh)
                {
                    _stats = fresh;
                    _readAtMs = now;
                }
            }
            catch (Exception ex) when (ex is SqliteQueueException or Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException or InvalidOperationException)
            {
                // The file is locked, gone or closing for a moment: report what was read last rather than fail the collector.
            }

            return _stats;
        }
    }
}
