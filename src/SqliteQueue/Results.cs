namespace SqliteQueue;

/// <summary>What <see cref="IQueueClient.CancelAsync"/> did.</summary>
public enum CancelResult
{
    /// <summary>No job has that id.</summary>
    NotFound = 0,

    /// <summary>The job was pending and is now cancelled.</summary>
    Cancelled = 1,

    /// <summary>The job is running: its worker is asked to stop, and the job ends cancelled when it does or its lease ends.</summary>
    CancellationRequested = 2,

    /// <summary>The job had already finished; nothing changed.</summary>
    AlreadyFinished = 3,
}

/// <summary>What <see cref="IWorker.RenewLeaseAsync"/> found.</summary>
public enum RenewResult
{
    /// <summary>The lease was extended.</summary>
    Renewed = 0,

    /// <summary>The lease was extended, and cancellation of the job has been requested: stop and release or fail it.</summary>
    CancellationRequested = 1,

    /// <summary>This worker no longer holds the job (its lease ran out and the job moved on). Stop working on it.</summary>
    LeaseLost = 2,
}

/// <summary>What <see cref="IWorker.FailAsync"/> did.</summary>
/// <param name="Applied">Whether the failure was recorded; <see langword="false"/> when the lease was lost.</param>
/// <param name="State">The job's new state: pending (retry scheduled), dead or cancelled. Pending when not applied.</param>
/// <param name="NextRunAt">When the retry may run, when one was scheduled.</param>
public readonly record struct FailResult(bool Applied, JobState State, DateTimeOffset? NextRunAt)
{
    internal static FailResult LeaseLost => new(false, JobState.Pending, null);
}
