using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Recurring;

/// <summary>A validated recurring definition, as the store keeps it.</summary>
internal sealed record RecurringSpec(
    string Name, string Type, string Queue, string Payload, int Priority, int? MaxAttempts, long? TimeoutMs,
    string Schedule, string TimeZone, Misfire Misfire, long MisfireGraceMs, int MaxCatchUp, Overlap Overlap)
{
    public const int MaxCatchUpLimit = 10_000;
    public static readonly TimeSpan MaxMisfireGrace = TimeSpan.FromDays(7);

    /// <summary>Whether a change from <paramref name="other"/> moves the occurrences, so the next one must be recomputed.</summary>
    public bool TimingDiffers(RecurringSpec other) =>
        !string.Equals(Schedule, other.Schedule, StringComparison.Ordinal) || !string.Equals(TimeZone, other.TimeZone, StringComparison.Ordinal);

    public RecurringJobDefinition ToDefinition() => new(Name, Type, Schedule)
    {
        TimeZone = TimeZone,
        PayloadJson = Payload,
        Queue = Queue,
        Priority = Priority,
        MaxAttempts = MaxAttempts,
        Timeout = TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
        Misfire = Misfire,
        MisfireGrace = TimeSpan.FromMilliseconds(MisfireGraceMs),
        MaxCatchUp = MaxCatchUp,
        Overlap = Overlap,
    };

    /// <summary>
    /// Checks every field of a definition, naming the field (<paramref name="paramName"/>.Field) and its value in the
    /// message, and parses its schedule: a schedule with no occurrence after <paramref name="now"/> is refused too.
    /// </summary>
    public static (RecurringSpec Spec, RecurringSchedule Schedule) Validate(RecurringJobDefinition definition, int maxPayloadLength, DateTimeOffset now, string paramName)
    {
        ArgumentNullException.ThrowIfNull(definition, paramName);
        var field = paramName + ".";
        Guard.Name(definition.Name, "recurring job name", field + nameof(definition.Name));
        Guard.Name(definition.JobType, "job type", field + nameof(definition.JobType));
        Guard.Name(definition.Queue, "queue name", field + nameof(definition.Queue));
        Guard.PayloadJson(definition.PayloadJson, maxPayloadLength, field + nameof(definition.PayloadJson));
        Guard.InRange(definition.Priority, -Guard.MaxPriority, Guard.MaxPriority, field + nameof(definition.Priority));
        if (definition.MaxAttempts is { } attempts)
        {
            Guard.InRange(attempts, 1, 1000, field + nameof(definition.MaxAttempts));
        }

        long? timeoutMs = null;
        if (definition.Timeout is { } timeout)
        {
            if (timeout <= TimeSpan.Zero || timeout > Guard.MaxTimeout)
            {
                throw new ArgumentOutOfRangeException(field + nameof(definition.Timeout), timeout, $"{field}{nameof(definition.Timeout)} must be greater than zero and at most {Guard.MaxTimeout}.");
            }

            timeoutMs = (long)Math.Ceiling(timeout.TotalMilliseconds);
        }

        Defined(definition.Misfire, field + nameof(definition.Misfire));
        Defined(definition.Overlap, field + nameof(definition.Overlap));
        Guard.InRange(definition.MisfireGrace, TimeSpan.Zero, MaxMisfireGrace, field + nameof(definition.MisfireGrace));
        Guard.InRange(definition.MaxCatchUp, 1, MaxCatchUpLimit, field + nameof(definition.MaxCatchUp));
        if (definition.Misfire == Misfire.RunAll && definition.Overlap != Overlap.Allow)
        {
            // The first catch-up job is live when the second is considered, so all but one would be skipped.
            throw new ArgumentException(
                $"Recurring job '{definition.Name}' asks for Misfire.RunAll with Overlap.{definition.Overlap}: every missed occurrence after the first would be skipped as an overlap. Use Overlap.Allow with RunAll, or Misfire.RunOnce.",
                field + nameof(definition.Overlap));
        }

        var schedule = ParseSchedule(definition.Schedule, definition.TimeZone, definition.Name, field);
        if (schedule.GetNextOccurrence(now) is null)
        {
            throw new ArgumentException(
                $"The schedule '{definition.Schedule}' of recurring job '{definition.Name}' has no occurrence after {now:O}: it would never fire.",
                field + nameof(definition.Schedule));
        }

        var spec = new RecurringSpec(
            definition.Name, definition.JobType, definition.Queue, definition.PayloadJson, definition.Priority, definition.MaxAttempts, timeoutMs,
            schedule.Expression, definition.TimeZone, definition.Misfire, (long)Math.Ceiling(definition.MisfireGrace.TotalMilliseconds),
            definition.MaxCatchUp, definition.Overlap);
        return (spec, schedule);
    }

    /// <summary>Parses a schedule, moving the parser's complaint onto the definition's field.</summary>
    private static RecurringSchedule ParseSchedule(string schedule, string timeZone, string name, string field)
    {
        try
        {
            return RecurringSchedule.Parse(schedule, timeZone, jitterSeed: name);
        }
        catch (ArgumentException ex) when (ex is not ArgumentNullException)
        {
            var which = ex.ParamName == "timeZone" ? nameof(RecurringJobDefinition.TimeZone) : nameof(RecurringJobDefinition.Schedule);
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
            throw new ArgumentException(message, field + which, ex);
        }
    }

    private static void Defined<T>(T value, string paramName)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} is not a {typeof(T).Name} value.");
        }
    }
}
