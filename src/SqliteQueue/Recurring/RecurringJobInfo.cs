namespace SqliteQueue.Recurring;

/// <summary>A schedule as stored: its definition and where it stands.</summary>
public sealed class RecurringJobInfo
{
    /// <summary>The definition.</summary>
    public required RecurringJobDefinition Definition { get; init; }

    /// <summary>The schedule's name.</summary>
    public string Name => Definition.Name;

    /// <summary>Whether it fires.</summary>
    public required RecurringJobState State { get; init; }

    /// <summary>Where it was defined.</summary>
    public required RecurringJobSource Source { get; init; }

    /// <summary>
    /// The next occurrence it will handle; null while broken, or when the schedule has no further occurrence. Kept
    /// while paused (<see cref="ResumeFrom.LastOccurrence"/> picks up there).
    /// </summary>
    public DateTimeOffset? NextRunAt { get; init; }

    /// <summary>The last occurrence it handled, fired or skipped.</summary>
    public DateTimeOffset? LastOccurrenceAt { get; init; }

    /// <summary>The last job its occurrences enqueued (manual triggers are not counted here; see the history).</summary>
    public long? LastJobId { get; init; }

    /// <summary>How many jobs its occurrences have enqueued, manual triggers not counted.</summary>
    public long FiredCount { get; init; }

    /// <summary>Why it is broken, if it is.</summary>
    public string? LastError { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its row last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
