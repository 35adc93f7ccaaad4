namespace SqliteQueue.Events;

/// <summary>What happened to a job.</summary>
public enum JobEventKind
{
    /// <summary>A new job was written (a deduplicated enqueue that matched a live job raises nothing).</summary>
    Enqueued,

    /// <summary>An attempt began: its number is counted and its handler is about to run.</summary>
    Started,

    /// <summary>The attempt succeeded and the job is completed.</summary>
    Completed,

    /// <summary>The attempt failed and the job will be retried at <see cref="JobEvent.NextRunAt"/>.</summary>
    Failed,

    /// <summary>The attempt failed and the job is dead: its attempts are spent, or the failure was permanent.</summary>
    Dead,

    /// <summary>The job was cancelled: before it ran, or while it ran, as requested.</summary>
    Cancelled,
}

/// <summary>One change in a job's life, seen by the process that made it, after it was committed.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="JobId">The job's id.</param>
/// <param name="Queue">The job's queue.</param>
/// <param name="Type">The job type name.</param>
/// <param name="Attempt">The attempt the change belongs to, from 1; 0 for a job that has not started.</param>
/// <param name="At">When the change was committed, by the queue's clock.</param>
public sealed record JobEvent(JobEventKind Kind, long JobId, string Queue, string Type, int Attempt, DateTimeOffset At)
{
    /// <summary>The worker that ran the attempt; null for <see cref="JobEventKind.Enqueued"/> and a cancel before the job ran.</summary>
    public string? WorkerId { get; init; }

    /// <summary>The failure, for <see cref="JobEventKind.Failed"/>, <see cref="JobEventKind.Dead"/> and a cancel while running.</summary>
    public string? Error { get; init; }

    /// <summary>When a <see cref="JobEventKind.Failed"/> job runs again.</summary>
    public DateTimeOffset? NextRunAt { get; init; }
}

/// <summary>
/// Observes the lifecycle of jobs in this process, to feed an activity stream, a notification or a metric of the
/// application's own. Register it with <see cref="SqliteQueueBuilder.AddObserver{TObserver}"/> or
/// <see cref="SqliteJobQueue.Subscribe"/>.
/// </summary>
/// <remarks>
/// It is called once the change is committed, in order for each job: <see cref="JobEventKind.Enqueued"/>, and the
/// outcomes of a failed attempt, on the thread that commits the write, before the writes committed with it are
/// answered; the others on a pool thread of the call that made the change. Keep it quick: it runs inside the queue's
/// own work, and may hold up this process's other writes (hand slow work to a channel of your own). An observer that
/// throws is logged and never breaks the queue or the other observers.
/// </remarks>
public interface IJobObserver
{
    /// <summary>Called once per change.</summary>
    /// <param name="jobEvent">What happened.</param>
    void OnJobEvent(JobEvent jobEvent);
}
