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

    private static readonly (Misfire Value, string Word)[] MisfireWords =
        [(SqliteQueue.Recurring.Misfire.RunOnce, "run_once"), (SqliteQueue.Recurring.Misfire.RunAll, "run_all"), (SqliteQueue.Recurring.Misfire.Skip, "skip")];

    private static readonly (Overlap Value, string Word)[] OverlapWords =
        [(SqliteQueue.Recurring.Overlap.Skip, "skip"), (SqliteQueue.Recurring.Overlap.QueueOne, "queue_one"), (SqliteQueue.Recurring.Overlap.Allow, "allow")];

    private static readonly (RecurringJobState Value, string Word)[] StateWords =
        [(RecurringJobState.Active, Active), (RecurringJobState.Paused, Paused), (RecurringJobState.Broken, Broken)];

    private static readonly (RecurringOutcome Value, string Word)[] OutcomeWords =
    [
        (RecurringOutcome.Fired, "fired"), (RecurringOutcome.CaughtUp, "caught_up"), (RecurringOutcome.Triggered, "triggered"),
        (RecurringOutcome.SkippedOverlap, "skipped_overlap"), (RecurringOutcome.SkippedMisfire, "skipped_misfire"),
        (RecurringOutcome.AlreadyFired, "already_fired"), (RecurringOutcome.Broken, "broken"),
    ];

    public static string Of(Misfire value) => WordOf(MisfireWords, value);

    public static Misfire ParseMisfire(string word) => ValueOf(MisfireWords, word);

    public static string Of(Overlap value) => WordOf(OverlapWords, value);

    public static Overlap ParseOverlap(string word) => ValueOf(OverlapWords, word);

    public static RecurringJobState ParseState(string word) => ValueOf(StateWords, word);

    public static string Of(RecurringOutcome value) => WordOf(OutcomeWords, value);

    public static RecurringOutcome ParseOutcome(string word) => ValueOf(OutcomeWords, word);

    private static string WordOf<T>((T Value, string Word)[] words, T value)
        where T : struct, Enum
    {
        foreach (var (v, word) in words)
        {
            if (EqualityComparer<T>.Default.Equals(v, value))
            {
                return word;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, $"No stored word for {typeof(T).Name}.{value}.");
    }

    // The CHECK constraints admit only these words; another one means the file was written by something else.
    private static T ValueOf<T>((T Value, string Word)[] words, string word)
        where T : struct, Enum
    {
        foreach (var (value, w) in words)
        {
            if (string.Equals(w, word, StringComparison.Ordinal))
            {
                return value;
            }
        }

        throw new SqliteQueueException($"The recurring-job tables hold '{word}' where a {typeof(T).Name} was expected.");
    }
}
