using SqliteQueue.Internal.Monitoring;
using SqliteQueue.Monitoring;

namespace SqliteQueue.Internal.Stores;

/// <summary>
/// The store seam of the monitor: the worker registry's rows, the figures of a health check and the throughput series.
/// The logic decides what the figures mean (the health rules, the buckets of a chart); a store only reads and writes
/// them. Times are Unix milliseconds on the store's clock (<see cref="IJobStore.NowMs"/>).
/// </summary>
internal interface IMonitorStore : IJobStore
{
    /// <summary>The store's name in logs: the file for SQLite, the server and database for a server store.</summary>
    string DataSource { get; }

    /// <summary>The schema version this library writes on this store, which a healthy store is at.</summary>
    long SchemaVersionExpected { get; }

    /// <summary>Whether maintenance records integrity checks here; a server database has its own tools, and the health rule then does not apply.</summary>
    bool RecordsIntegrityChecks { get; }

    /// <summary>
    /// In one write: deletes the rows of workers whose expiry has passed, then writes <paramref name="beat"/>'s row
    /// (inserted, or updated with its start time kept) to expire <see cref="WorkerBeat.ExpiryMs"/> from now. Returns the
    /// rows deleted, which may include this worker's own when it stalled past its expiry.
    /// </summary>
    Task<IReadOnlyList<ExpiredWorker>> WriteWorkerAsync(WorkerBeat beat, CancellationToken cancellationToken);

    /// <summary>Deletes one worker's row (a graceful stop).</summary>
    Task DeleteWorkerAsync(string workerId, CancellationToken cancellationToken);

    /// <summary>The workers whose rows have not expired, ordered by id.</summary>
    Task<IReadOnlyList<WorkerInfo>> ListLiveWorkersAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The figures of one health check, read now. Never creates or migrates the schema: a check reports a store in any
    /// state, and stops reading at the first thing that makes the rest unreadable (see <see cref="HealthReading"/>).
    /// </summary>
    Task<HealthReading> ReadHealthAsync(CancellationToken cancellationToken);

    /// <summary>The throughput series' counts in the minutes <paramref name="fromMinute"/> to <paramref name="toMinute"/>, both included (minutes since the epoch).</summary>
    Task<IReadOnlyList<ThroughputCount>> ReadThroughputAsync(long fromMinute, long toMinute, CancellationToken cancellationToken);
}

/// <summary>One worker group's registry row as it writes it; <see cref="StartedAt"/> is kept from the row's first write.</summary>
internal readonly record struct WorkerBeat(string Id, string Host, int ProcessId, string Queues, int Concurrency, long StartedAt, long ExpiryMs);

/// <summary>A registry row deleted because its worker stopped beating.</summary>
internal readonly record struct ExpiredWorker(string Id, string Host, long ProcessId);

/// <summary>The attempts that ended with <see cref="Outcome"/> in one minute of the throughput series.</summary>
internal readonly record struct ThroughputCount(long Minute, ExecutionOutcome Outcome, long Count);
