namespace SqliteQueue.Recurring;

/// <summary>One entry of a schedule's history: what happened to one occurrence (or, for skipped misfires, to a run of them).</summary>
public sealed class RecurringOccurrence
{
    /// <summary>The schedule's name.</summary>
    public required string Name { get; init; }

    /// <summary>The occurrence's scheduled instant; for a manual trigger, when it was triggered.</summary>
    public required DateTimeOffset ScheduledFor { get; init; }

    /// <summary>What happened.</summary>
    public required RecurringOutcome Outcome { get; init; }

    /// <summary>The job enqueued for it, if one was.</summary>
    public long? JobId { get; init; }

    /// <summary>When the scheduler recorded it.</summary>
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>Why, in words: the number of missed occurrences, the live job that caused a skip, or the error.</summary>
    public string? Detail { get; init; }
}

/// <summary>
/// What a handler knows about the occurrence its job stands for (<see cref="JobContext{TPayload}.Recurring"/>); null
/// for jobs not made by a schedule.
/// </summary>
/// <param name="Name">The schedule's name.</param>
/// <param name="ScheduledFor">The occurrence's scheduled instant (for a manual trigger, when it was triggered).</param>
/// <param name="IsCatchUp">Whether the occurrence was missed and is run late under the schedule's misfire policy.</param>
/// <param name="MissedCount">How many missed occurrences this job makes up for: 0 when on time, 1 or more for a catch-up.</param>
/// <param name="IsTriggered">Whether the job was enqueued by <see cref="IRecurringJobs.TriggerAsync"/> rather than by the schedule.</param>
public sealed record RecurringOccurrenceContext(string Name, DateTimeOffset ScheduledFor, bool IsCatchUp, int MissedCount, bool IsTriggered);
