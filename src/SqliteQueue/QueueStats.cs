namespace SqliteQueue;

/// <summary>Counts per queue and state, read in one snapshot.</summary>
/// <param name="Queues">One entry per queue that has any job.</param>
public sealed record QueueStats(IReadOnlyList<QueueStatistics> Queues)
{
    /// <summary>The entry for <paramref name="queue"/>, or an empty one.</summary>
    /// <param name="queue">The queue name.</param>
    /// <returns>The statistics of that queue.</returns>
    public QueueStatistics For(string queue) =>
        Queues.FirstOrDefault(q => q.Queue == queue) ?? new QueueStatistics(queue, 0, 0, 0, 0, 0, 0, null);
}

/// <summary>The counts of one queue.</summary>
/// <param name="Queue">The queue name.</param>
/// <param name="Pending">Jobs waiting, including delayed ones and scheduled retries.</param>
/// <param name="Runnable">Pending jobs whose run-at time has come.</param>
/// <param name="Running">Jobs under a lease.</param>
/// <param name="Completed">Completed jobs still stored.</param>
/// <param name="Dead">Dead-lettered jobs.</param>
/// <param name="Cancelled">Cancelled jobs.</param>
/// <param name="OldestRunnableAge">How long the longest-waiting runnable job has been runnable, or null when none is.</param>
public sealed record QueueStatistics(
    string Queue, long Pending, long Runnable, long Running, long Completed, long Dead, long Cancelled, TimeSpan? OldestRunnableAge);
