namespace SqliteQueue.Monitoring;

/// <summary>
/// What runs on a queue file and how well: the live workers of every process on the file, and a health report over
/// the file, its backlog and its maintenance. Both only read. From dependency injection, or
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
}
