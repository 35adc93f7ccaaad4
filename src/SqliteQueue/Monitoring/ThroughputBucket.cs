namespace SqliteQueue.Monitoring;

/// <summary>The attempts settled in one interval of a throughput series (<see cref="IQueueMonitor.GetThroughputAsync"/>).</summary>
/// <param name="Start">The start of the interval (UTC, on a whole minute); the interval runs to the next bucket's start.</param>
/// <param name="Completed">Attempts that completed their job.</param>
/// <param name="Failed">Attempts that failed (a thrown handler, a timeout) or whose lease expired; attempts a worker released without spending them are not counted.</param>
public sealed record ThroughputBucket(DateTimeOffset Start, long Completed, long Failed);
