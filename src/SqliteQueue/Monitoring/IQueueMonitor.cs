namespace SqliteQueue.Monitoring;

/// <summary>
/// What runs on a queue file and how well: the live workers of every process on the file, and a health report over
/// the file, its backlog and its maintenance, and the attempts settled over time. All only read. From dependency injection, or
/// <see cref="SqliteJobQueue.Monitor"/> without a host.
/// </summary>
public interface IQueueMonitor
{
    /// <summary>
    /// Lists the hosted worker groups running now in any process on the file: each one's row, written when it started
    /// and beaten every <see cref="SqliteQueueOptions.WorkerHeartbeatInterval"/>. A worker whose process died without
    /// stopping is left out once its row expires (three intervals after its last beat).
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The live workers, ordered by id.</returns>
    Task<IReadOnlyList<WorkerInfo>> ListWorkersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads every health figure of the file in one snapshot and judges it by the rules <paramref name="options"/> set.
    /// The check never writes (it opens no write transaction and never migrates the file) and reads through indexes
    /// only. A store that cannot be read is reported, not thrown: the report is then
    /// <see cref="QueueHealthStatus.Unhealthy"/> and carries the exception.
    /// </summary>
    /// <param name="options">The thresholds, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the check; it is then thrown as <see cref="OperationCanceledException"/>.</param>
    /// <returns>The report: its status, the problems found and every figure.</returns>
    /// <exception cref="ArgumentException">An option is out of range; the message names it and the value.</exception>
    Task<QueueHealthReport> CheckHealthAsync(QueueHealthOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the attempts settled per interval, from the interval that contains <paramref name="since"/> to the current
    /// one, for a throughput chart. Intervals are aligned to whole multiples of <paramref name="bucket"/> since the Unix
    /// epoch (UTC), and every interval is returned, those with nothing settled as zeros, so a chart needs no gap filling.
    /// The counts come from a per-minute table kept by a trigger on each settled attempt, so the read costs the minutes
    /// asked for, not the history kept. Minutes older than the longest retention (at least 14 days) are pruned by
    /// maintenance; attempts settled before the file reached schema version 5 are counted from the history it then kept.
    /// </summary>
    /// <param name="since">The earliest time to cover; no more than 31 days before now (the store's clock).</param>
    /// <param name="bucket">The interval: a whole number of minutes from 1 minute to 1 day.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One bucket per interval, oldest first.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bucket"/> or <paramref name="since"/> is out of range; the message names it and the value.</exception>
    Task<IReadOnlyList<ThroughputBucket>> GetThroughputAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken cancellationToken = default);
}
