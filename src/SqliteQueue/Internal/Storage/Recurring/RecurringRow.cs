using SqliteQueue.Internal.Recurring;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Storage.Recurring;

/// <summary>A <c>recurring</c> row as Dapper reads it.</summary>
internal sealed class RecurringRow
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public string Queue { get; set; } = "";
    public string Payload { get; set; } = "";
    public long Priority { get; set; }
    public long? MaxAttempts { get; set; }
    public long? TimeoutMs { get; set; }
    public string Schedule { get; set; } = "";
    public string TimeZone { get; set; } = "";
    public string Misfire { get; set; } = "";
    public long MisfireGraceMs { get; set; }
    public long MaxCatchUp { get; set; }
    public string Overlap { get; set; } = "";
    public string State { get; set; } = "";
    public string Source { get; set; } = "";
    public long? NextRunAt { get; set; }
    public long? LastOccurrence { get; set; }
    public long? LastJobId { get; set; }
    public long Occurrences { get; set; }
    public string? LastError { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }

    public RecurringSpec ToSpec() => new(
        Name, Type, Queue, Payload, (int)Priority, (int?)MaxAttempts, TimeoutMs, Schedule, TimeZone,
        RecurringWords.ParseMisfire(Misfire), MisfireGraceMs, (int)MaxCatchUp, RecurringWords.ParseOverlap(Overlap));

    public RecurringJobInfo ToInfo() => new()
    {
        Definition = ToSpec().ToDefinition(),
        State = RecurringWords.ParseState(State),
        Source = Source == RecurringWords.Code ? RecurringJobSource.Code : RecurringJobSource.Runtime,
        NextRunAt = NextRunAt is { } next ? Times.FromMs(next) : null,
        LastOccurrenceAt = LastOccurrence is { } last ? Times.FromMs(last) : null,
        LastJobId = LastJobId,
        FiredCount = Occurrences,
        LastError = LastError,
        CreatedAt = Times.FromMs(CreatedAt),
        UpdatedAt = Times.FromMs(UpdatedAt),
    };
}

/// <summary>A <c>recurring_log</c> row as Dapper reads it.</summary>
internal sealed class RecurringLogRow
{
    public string Name { get; set; } = "";
    public long? OccurrenceAt { get; set; }
    public string Outcome { get; set; } = "";
    public long? JobId { get; set; }
    public long At { get; set; }
    public string? Detail { get; set; }

    public RecurringOccurrence ToOccurrence() => new()
    {
        Name = Name,
        ScheduledFor = Times.FromMs(OccurrenceAt ?? At),
        Outcome = RecurringWords.ParseOutcome(Outcome),
        JobId = JobId,
        RecordedAt = Times.FromMs(At),
        Detail = Detail,
    };
}

/// <summary>The words the recurring tables store for each enum, readable when the file is queried by hand.</summary>
internal static class RecurringWords
{
    public const string Code = "code";
    public const string Runtime = "runtime";
    public const string Active = "active";
    public const string Paused = "paused";
    public const string Broken = "broken";

    public static string Of(Misfire value) => value switch
    {
        SqliteQueue.Recurring.Misfire.RunOnce => "run_once",
        SqliteQueue.Recurring.Misfire.RunAll => "run_all",
        _ => "skip",
    };

    public static Misfire ParseMisfire(string value) => value switch
    {
        "run_all" => SqliteQueue.Recurring.Misfire.RunAll,
        "skip" => SqliteQueue.Recurring.Misfire.Skip,
        _ => SqliteQueue.Recurring.Misfire.RunOnce,
    };

    public static string Of(Overlap value) => value switch
    {
        SqliteQueue.Recurring.Overlap.Skip => "skip",
        SqliteQueue.Recurring.Overlap.QueueOne => "queue_one",
        _ => "allow",
    };

    public static Overlap ParseOverlap(string value) => value switch
    {
        "queue_one" => SqliteQueue.Recurring.Overlap.QueueOne,
        "allow" => SqliteQueue.Recurring.Overlap.Allow,
        _ => SqliteQueue.Recurring.Overlap.Skip,
    };

    public static RecurringJobState ParseState(string value) => value switch
    {
        Paused => RecurringJobState.Paused,
        Broken => RecurringJobState.Broken,
        _ => RecurringJobState.Active,
    };

    public static string Of(RecurringOutcome value) => value switch
    {
        RecurringOutcome.Fired => "fired",
        RecurringOutcome.CaughtUp => "caught_up",
        RecurringOutcome.Triggered => "triggered",
        RecurringOutcome.SkippedOverlap => "skipped_overlap",
        RecurringOutcome.SkippedMisfire => "skipped_misfire",
        RecurringOutcome.AlreadyFired => "already_fired",
        _ => "broken",
    };

    public static RecurringOutcome ParseOutcome(string value) => value switch
    {
        "fired" => RecurringOutcome.Fired,
        "caught_up" => RecurringOutcome.CaughtUp,
        "triggered" => RecurringOutcome.Triggered,
        "skipped_overlap" => RecurringOutcome.SkippedOverlap,
        "skipped_misfire" => RecurringOutcome.SkippedMisfire,
        "already_fired" => RecurringOutcome.AlreadyFired,
        _ => RecurringOutcome.Broken,
    };
}
