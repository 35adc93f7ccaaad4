namespace SqliteQueue.Dashboard.Internal;

/// <summary>Completed and failed attempts per time bucket, for the overview's chart.</summary>
internal static class ThroughputReader
{
    /// <summary>The overview's window: the last hour, in one-minute buckets.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    public static readonly TimeSpan Bucket = TimeSpan.FromMinutes(1);

    // Wired to GetThroughputAsync when lib-throughput lands.
    public static Task<IReadOnlyList<ThroughputPoint>> ReadAsync(SqliteJobQueue queue, DateTimeOffset since, TimeSpan bucket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _ = since;
        _ = bucket;
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<ThroughputPoint>>([]);
    }
}

/// <summary>One bucket of the throughput chart.</summary>
internal sealed record ThroughputPoint(DateTimeOffset Start, long Completed, long Failed);
