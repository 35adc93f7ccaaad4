using SqliteQueue.Monitoring;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>Completed and failed attempts per time bucket, for the overview's chart.</summary>
internal static class ThroughputReader
{
    /// <summary>The overview's window: the last hour, in one-minute buckets.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    public static readonly TimeSpan Bucket = TimeSpan.FromMinutes(1);

    /// <summary>Reads the per-minute throughput table: the cost is the minutes asked for, not the history kept.</summary>
    public static Task<IReadOnlyList<ThroughputBucket>> ReadAsync(SqliteJobQueue queue, DateTimeOffset since, TimeSpan bucket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return queue.Monitor.GetThroughputAsync(since, bucket, cancellationToken);
    }
}
