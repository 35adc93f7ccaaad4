using SqliteQueue.Recurring;

namespace SqliteQueue.Dashboard.Api;

internal sealed record ScheduleModel(
    string Name, string JobType, string Schedule, string TimeZone, string? Description, RecurringJobState State, RecurringJobSource Source,
    string Queue, DateTimeOffset? NextRunAt, DateTimeOffset? LastOccurrenceAt, long? LastJobId, long FiredCount, string? LastError,
    IReadOnlyList<DateTimeOffset> Next);

internal sealed record SchedulesModel(IReadOnlyList<ScheduleModel> Schedules);

internal sealed record OccurrenceModel(DateTimeOffset ScheduledFor, DateTimeOffset RecordedAt, RecurringOutcome Outcome, long? JobId, string? Detail)
{
    public static OccurrenceModel From(RecurringOccurrence o) => new(o.ScheduledFor, o.RecordedAt, o.Outcome, o.JobId, o.Detail);
}

internal sealed record HistoryModel(IReadOnlyList<OccurrenceModel> History);

/// <summary>What a schedule action did: the schedule's state after it, and for a trigger the job it enqueued (null when the overlap policy skipped it).</summary>
internal sealed record ScheduleActionModel(string Name, bool Done, RecurringJobState State, long? JobId);
