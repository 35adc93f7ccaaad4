using SqliteQueue.Retry;
using SqliteQueue.Scheduling;

namespace SqliteQueue;

/// <summary>The settings of one <see cref="IWorker"/>.</summary>
public sealed class WorkerOptions
{
    /// <summary>The id recorded as lease owner and in the execution history.</summary>
    /// <value>The default is <c>host:pid:random</c>. 1 to 200 characters, at least one of them visible (not only white space or invisible characters), no control characters.</value>
    public string? WorkerId { get; init; }

    /// <summary>The queues to claim from, in order: earlier queues are served first.</summary>
    /// <value>The default is the single queue <c>"default"</c>. 1 to 100 distinct valid queue names.</value>
    public IReadOnlyList<string> Queues { get; init; } = [QueueNames.Default];

    /// <summary>The claim order.</summary>
    /// <value>The default is <see cref="SqliteQueueOptions.DefaultStrategy"/>.</value>
    public ISchedulingStrategy? Strategy { get; init; }

    /// <summary>How long each claim holds its jobs unless renewed.</summary>
    /// <value>The default is <see cref="SqliteQueueOptions.DefaultLeaseDuration"/>. 1 second to 1 day.</value>
    public TimeSpan? LeaseDuration { get; init; }

    /// <summary>The retry spacing for failures reported by this worker.</summary>
    /// <value>The default is <see cref="SqliteQueueOptions.BackoffPolicy"/>.</value>
    public IBackoffPolicy? BackoffPolicy { get; init; }
}

/// <summary>Well-known queue names.</summary>
public static class QueueNames
{
    /// <summary>The queue jobs go to unless their enqueue names another.</summary>
    public const string Default = "default";
}
