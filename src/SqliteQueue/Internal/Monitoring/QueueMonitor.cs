using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Monitoring;

namespace SqliteQueue.Internal.Monitoring;

/// <summary>The public monitor: the worker registry's live rows, the health check's read and rules, and the throughput series.</summary>
internal sealed class QueueMonitor(IMonitorStore store, ILogger logger) : IQueueMonitor
{
    private const long MsPerMinute = 60_000;

    /// <summary>How far back a throughput read may start; maintenance keeps at least 14 days of the series.</summary>
    private static readonly TimeSpan MaxThroughputSpan = TimeSpan.FromDays(31);

    public async Task<IReadOnlyList<WorkerInfo>> ListWorkersAsync(CancellationToken cancellationToken = default) =>
        await store.ListLiveWorkersAsync(cancellationToken).ConfigureAwait(false);

    public async Task<QueueHealthReport> CheckHealthAsync(QueueHealthOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new QueueHealthOptions();
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        QueueHealthReport report;
        try
        {
            var reading = await store.ReadHealthAsync(cancellationToken).ConfigureAwait(false);
            report = HealthRules.Evaluate(reading, options, store.SchemaVersionExpected, store.RecordsIntegrityChecks);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // A health check reports a broken store; throwing would only turn it into the caller's own failure.
            logger.HealthReadFailed(ex, store.DataSource);
            report = HealthRules.Unreadable(store.Time.GetUtcNow(), ex, store.SchemaVersionExpected);
        }

        logger.HealthChecked(store.DataSource, report.Status.ToString(), report.Problems.Count);
        return report;
    }

    public async Task<IReadOnlyList<ThroughputBucket>> GetThroughputAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken cancellationToken = default)
    {
        if (bucket < TimeSpan.FromMinutes(1) || bucket > TimeSpan.FromDays(1) || bucket.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bucket), bucket, Errors.ThroughputBucket(bucket));
        }

        var now = store.Time.GetUtcNow();
        var earliest = now - MaxThroughputSpan;
        if (since < earliest)
        {
            throw new ArgumentOutOfRangeException(nameof(since), since, Errors.ThroughputSince(since, earliest));
        }

        // Buckets are aligned to whole multiples of their length since the epoch, so a chart refreshed later keeps its edges.
        var size = bucket.Ticks / TimeSpan.TicksPerMinute;
        var first = Times.FloorDiv(Times.FloorDiv(since.ToUnixTimeMilliseconds(), MsPerMinute), size) * size;
        var last = Times.FloorDiv(Times.FloorDiv(now.ToUnixTimeMilliseconds(), MsPerMinute), size) * size;
        if (first > last)
        {
            return [];
        }

        var rows = await store.ReadThroughputAsync(first, last + size - 1, cancellationToken).ConfigureAwait(false);

        var completed = new long[((last - first) / size) + 1];
        var failed = new long[completed.Length];
        foreach (var (minute, outcome, n) in rows)
        {
            var index = (minute - first) / size;
            if (outcome == ExecutionOutcome.Completed)
            {
                completed[index] += n;
            }
            else
            {
                failed[index] += n;
            }
        }

        var buckets = new ThroughputBucket[completed.Length];
        for (var i = 0; i < buckets.Length; i++)
        {
            buckets[i] = new ThroughputBucket(DateTimeOffset.FromUnixTimeMilliseconds((first + (i * size)) * MsPerMinute), completed[i], failed[i]);
        }

        return buckets;
    }
}
