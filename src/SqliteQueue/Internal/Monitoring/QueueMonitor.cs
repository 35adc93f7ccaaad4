using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Monitoring;

namespace SqliteQueue.Internal.Monitoring;

/// <summary>The public monitor: the worker registry's live rows, and the health check's read and rules.</summary>
internal sealed class QueueMonitor(JobStore store, ILogger logger) : IQueueMonitor
{
    public async Task<IReadOnlyList<WorkerInfo>> ListWorkersAsync(CancellationToken cancellationToken = default) =>
        await store.ReadAsync(0, static (s, c, _) => WorkerRegistry.ListLive(s, c, s.NowMs), cancellationToken).ConfigureAwait(false);

    public async Task<QueueHealthReport> CheckHealthAsync(QueueHealthOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new QueueHealthOptions();
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        QueueHealthReport report;
        try
        {
            var reading = await ReadAsync(cancellationToken).ConfigureAwait(false);
            report = HealthRules.Evaluate(reading, options);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // A health check reports a broken store; throwing would only turn it into the caller's own failure.
            logger.HealthReadFailed(ex, store.DataSource);
            report = HealthRules.Unreadable(store.Time.GetUtcNow(), ex);
        }

        logger.HealthChecked(store.DataSource, report.Status.ToString(), report.Problems.Count);
        return report;
    }

    /// <summary>
    /// Reads on a reader connection of its own rather than through the store's first-use initialization, which
    /// would migrate the file: a check never writes. A memory database has only the writer's connection to read on.
    /// </summary>
    private Task<HealthReading> ReadAsync(CancellationToken cancellationToken)
    {
        if (store.IsMemory)
        {
            return store.ReadAsync(0, static (s, c, _) => HealthReading.Read(s, c, s.NowMs), cancellationToken);
        }

        try
        {
            using var connection = store.Connections.OpenReader();
            return Task.FromResult(HealthReading.Read(store, connection, store.NowMs));
        }
        catch (SqliteException ex)
        {
            throw StoreErrors.Translate(ex, store.DataSource);
        }
    }
}
