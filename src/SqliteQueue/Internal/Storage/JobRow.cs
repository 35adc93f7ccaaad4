namespace SqliteQueue.Internal.Storage;

/// <summary>A jobs row as Dapper reads it: primitive columns, converted to <see cref="JobInfo"/> in one place.</summary>
internal sealed class JobRow
{
    public long Id { get; set; }
    public string Queue { get; set; } = "";
    public string Type { get; set; } = "";
    public string Payload { get; set; } = "";
    public long Priority { get; set; }
    public string State { get; set; } = "";
    public long RunAt { get; set; }
    public long Attempt { get; set; }
    public long MaxAttempts { get; set; }
    public long? TimeoutMs { get; set; }
    public string? DedupKey { get; set; }
    public string? LeaseOwner { get; set; }
    public long? LeaseExpiresAt { get; set; }
    public long CancelRequested { get; set; }
    public string? LastError { get; set; }
    public long CreatedAt { get; set; }
    public long? StartedAt { get; set; }
    public long? FinishedAt { get; set; }
    public string? RecurringName { get; set; }
    public long? OccurrenceAt { get; set; }

    public JobInfo ToJobInfo() => new()
    {
        Id = Id,
        Queue = Queue,
        Type = Type,
        PayloadJson = Payload,
        Priority = (int)Priority,
        State = States.Parse(State),
        RunAt = Times.FromMs(RunAt),
        Attempt = (int)Attempt,
        MaxAttempts = (int)MaxAttempts,
        Timeout = TimeoutMs is { } t ? TimeSpan.FromMilliseconds(t) : null,
        DeduplicationKey = DedupKey,
        LeaseOwner = LeaseOwner,
        LeaseExpiresAt = Times.FromMs(LeaseExpiresAt),
        CancellationRequested = CancelRequested != 0,
        LastError = LastError,
        CreatedAt = Times.FromMs(CreatedAt),
        StartedAt = Times.FromMs(StartedAt),
        FinishedAt = Times.FromMs(FinishedAt),
        RecurringName = RecurringName,
        ScheduledFor = Times.FromMs(OccurrenceAt),
    };
}

/// <summary>An executions row as Dapper reads it.</summary>
internal sealed class ExecutionRow
{
    public long JobId { get; set; }
    public long Attempt { get; set; }
    public string WorkerId { get; set; } = "";
    public long StartedAt { get; set; }
    public long FinishedAt { get; set; }
    public string Outcome { get; set; } = "";
    public string? Error { get; set; }

    public JobExecution ToExecution() => new(
        JobId, (int)Attempt, WorkerId, Times.FromMs(StartedAt), Times.FromMs(FinishedAt), Outcomes.Parse(Outcome), Error);
}

internal sealed class CountRow
{
    public string Queue { get; set; } = "";
    public string State { get; set; } = "";
    public long Count { get; set; }
}

internal sealed class RunnableRow
{
    public string Queue { get; set; } = "";
    public long Count { get; set; }
    public long OldestRunAt { get; set; }
}

/// <summary>The words the schema stores for states.</summary>
internal static class States
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Dead = "dead";
    public const string Cancelled = "cancelled";

    public static JobState Parse(string state) => state switch
    {
        Pending => JobState.Pending,
        Running => JobState.Running,
        Completed => JobState.Completed,
        Dead => JobState.Dead,
        Cancelled => JobState.Cancelled,
        _ => throw new InvalidDataException($"Unknown job state '{state}' in the queue database."),
    };

    public static string ToText(JobState state) => state switch
    {
        JobState.Pending => Pending,
        JobState.Running => Running,
        JobState.Completed => Completed,
        JobState.Dead => Dead,
        JobState.Cancelled => Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Unknown job state."),
    };
}

internal static class Outcomes
{
    public static ExecutionOutcome Parse(string outcome) => outcome switch
    {
        "completed" => ExecutionOutcome.Completed,
        "failed" => ExecutionOutcome.Failed,
        "lease_expired" => ExecutionOutcome.LeaseExpired,
        "released" => ExecutionOutcome.Released,
        _ => throw new InvalidDataException($"Unknown execution outcome '{outcome}' in the queue database."),
    };
}

/// <summary>The schema stores times as Unix milliseconds, UTC.</summary>
internal static class Times
{
    public static long ToMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>Division rounded towards negative infinity: the Unix minute of a time, or the bucket a minute falls in, even before 1970.</summary>
    public static long FloorDiv(long value, long divisor) => (value / divisor) - ((value % divisor) < 0 ? 1 : 0);

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset? FromMs(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
}
