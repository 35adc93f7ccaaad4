namespace SqliteQueue.Monitoring;

/// <summary>How healthy a queue file is, from best to worst.</summary>
public enum QueueHealthStatus
{
    /// <summary>No rule found a problem.</summary>
    Healthy = 0,

    /// <summary>The queue works, but something needs attention: a backlog, dead jobs, too few workers, a large WAL, an overdue check.</summary>
    Degraded = 1,

    /// <summary>The queue cannot work as it is: the file cannot be read, its schema does not match this library, or it failed its integrity check.</summary>
    Unhealthy = 2,
}
