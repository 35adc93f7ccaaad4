using System.Text.Json;

namespace SqliteQueue.Dashboard.Api;

/// <summary>A job in a list.</summary>
internal sealed record JobRowModel(
    long Id, string Queue, string Type, JobState State, bool CancellationRequested, int Attempt, int MaxAttempts, int Priority,
    DateTimeOffset CreatedAt, DateTimeOffset RunAt, DateTimeOffset? FinishedAt, string? LastError)
{
    public static JobRowModel From(JobInfo j) =>
        new(j.Id, j.Queue, j.Type, j.State, j.CancellationRequested, j.Attempt, j.MaxAttempts, j.Priority, j.CreatedAt, j.RunAt, j.FinishedAt, j.LastError);
}

/// <summary>A job with everything known about it; <see cref="Payload"/> is the payload as JSON, not as a string.</summary>
internal sealed record JobModel(
    long Id, string Queue, string Type, JobState State, bool CancellationRequested, int Attempt, int MaxAttempts, int Priority,
    DateTimeOffset CreatedAt, DateTimeOffset RunAt, DateTimeOffset? FinishedAt, string? LastError,
    DateTimeOffset? StartedAt, string? LeaseOwner, DateTimeOffset? LeaseExpiresAt, double? TimeoutSeconds, string? DeduplicationKey,
    string? RecurringName, DateTimeOffset? ScheduledFor, JsonElement Payload)
{
    public static JobModel From(JobInfo j) =>
        new(j.Id, j.Queue, j.Type, j.State, j.CancellationRequested, j.Attempt, j.MaxAttempts, j.Priority, j.CreatedAt, j.RunAt, j.FinishedAt, j.LastError,
            j.StartedAt, j.LeaseOwner, j.LeaseExpiresAt, j.Timeout?.TotalSeconds, j.DeduplicationKey, j.RecurringName, j.ScheduledFor, Parse(j.PayloadJson));

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

/// <summary>One settled attempt of a job.</summary>
internal sealed record ExecutionModel(int Attempt, ExecutionOutcome Outcome, string WorkerId, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string? Error)
{
    public static ExecutionModel From(JobExecution e) => new(e.Attempt, e.Outcome, e.WorkerId, e.StartedAt, e.FinishedAt, e.Error);
}

/// <summary>
/// One page of <c>GET api/jobs</c>: <see cref="NextAfterId"/> reads the next page oldest first, <see cref="NextBeforeId"/>
/// newest first (each null in the other order); <see cref="SearchedThroughId"/> is the last id a search read when its window ended the page.
/// </summary>
internal sealed record JobListModel(IReadOnlyList<JobRowModel> Jobs, long? NextAfterId, long? NextBeforeId, long? SearchedThroughId);

internal sealed record JobDetailModel(JobModel Job, IReadOnlyList<ExecutionModel> Executions);

/// <summary>What an action on one job did: <see cref="Outcome"/> is <c>retried</c>, <c>cancelled</c>, <c>cancellationRequested</c> or <c>deleted</c>.</summary>
internal sealed record JobActionModel(long Id, bool Done, string Outcome);

internal sealed record ChangedModel(long Changed);

/// <summary>The body of <c>POST api/jobs/retry</c> and <c>api/jobs/delete</c>.</summary>
internal sealed record IdsBody(IReadOnlyList<long>? Ids);
