using System.Text.Json;
using SqliteQueue.Recurring;

namespace SqliteQueue.Samples.WebApi;

/// <summary>The job types this application runs, by the names stored with each job.</summary>
internal static class JobTypes
{
    public const string SendEmail = "email.send";
    public const string RenderReport = "report.render";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { SendEmail, RenderReport };
}

/// <summary>The payload of an <c>email.send</c> job.</summary>
/// <param name="To">The recipient.</param>
/// <param name="Subject">The subject line.</param>
internal sealed record SendEmail(string To, string Subject);

/// <summary>The payload of a <c>report.render</c> job.</summary>
/// <param name="ReportId">The report to render.</param>
/// <param name="Pages">How many pages; each takes 200 ms, so a long report can be cancelled while it runs.</param>
internal sealed record RenderReport(int ReportId, int Pages);

internal sealed class SendEmailHandler(ILogger<SendEmailHandler> logger) : IJobHandler<SendEmail>
{
    public async Task HandleAsync(JobContext<SendEmail> job, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken);
        logger.EmailSent(job.JobId, job.Payload.To);
    }
}

internal sealed class RenderReportHandler(ILogger<RenderReportHandler> logger) : IJobHandler<RenderReport>
{
    public async Task HandleAsync(JobContext<RenderReport> job, CancellationToken cancellationToken)
    {
        if (job.Payload.Pages <= 0)
        {
            throw new PermanentJobFailureException($"A report needs at least one page; got {job.Payload.Pages}.");
        }

        for (var page = 1; page <= job.Payload.Pages; page++)
        {
            // The token fires on a cancel request, a timeout, a lost lease or a forced shutdown.
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        // Set when a recurring job enqueued this one: which schedule, and which occurrence it stands for.
        if (job.Recurring is { } occurrence)
        {
            logger.ReportFromSchedule(job.JobId, occurrence.Name, occurrence.ScheduledFor, occurrence.IsTriggered, occurrence.IsCatchUp, occurrence.MissedCount);
        }

        logger.ReportRendered(job.JobId, job.Payload.ReportId, job.Payload.Pages);
    }
}

/// <summary>The body of <c>POST /jobs</c>.</summary>
/// <param name="Type">The job type: <c>email.send</c> or <c>report.render</c>.</param>
/// <param name="Payload">The payload, any JSON object; it is read into the handler's payload type when the job runs.</param>
/// <param name="DelaySeconds">Run no earlier than this many seconds from now.</param>
/// <param name="TimeoutSeconds">The time limit of one attempt.</param>
/// <param name="MaxAttempts">How many attempts the job gets.</param>
/// <param name="DeduplicationKey">While a job with this key is pending or running, enqueueing again returns its id.</param>
internal sealed record EnqueueRequest(
    string? Type, JsonElement Payload, double? DelaySeconds, double? TimeoutSeconds, int? MaxAttempts, string? DeduplicationKey);

/// <summary>What <c>GET /jobs/{id}</c> returns.</summary>
internal sealed record JobView(
    long Id, string Type, string Queue, JobState State, int Attempt, int MaxAttempts, bool CancellationRequested,
    string? LastError, DateTimeOffset CreatedAt, DateTimeOffset RunAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    public static JobView From(JobInfo job) => new(
        job.Id, job.Type, job.Queue, job.State, job.Attempt, job.MaxAttempts, job.CancellationRequested,
        job.LastError, job.CreatedAt, job.RunAt, job.StartedAt, job.FinishedAt);
}

/// <summary>What <c>GET /recurring</c> returns for each schedule.</summary>
internal sealed record RecurringView(
    string Name, string Schedule, string TimeZone, string Description, string JobType, RecurringJobState State, RecurringJobSource Source,
    DateTimeOffset? NextRunAt, DateTimeOffset? LastOccurrenceAt, long? LastJobId, long FiredCount, string? LastError)
{
    public static RecurringView From(RecurringJobInfo info)
    {
        var definition = info.Definition;
        string description;
        try
        {
            description = RecurringSchedule.Parse(definition.Schedule, definition.TimeZone).Describe();
        }
        catch (ArgumentException)
        {
            // A schedule using H (only valid with its name) or one this machine cannot read (see LastError).
            description = definition.Schedule;
        }

        return new(
            info.Name, definition.Schedule, definition.TimeZone, description, definition.JobType, info.State, info.Source,
            info.NextRunAt, info.LastOccurrenceAt, info.LastJobId, info.FiredCount, info.LastError);
    }
}

/// <summary>The sample's log messages, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Job {JobId}: sent email to {To}")]
    public static partial void EmailSent(this ILogger logger, long jobId, string to);

    [LoggerMessage(2, LogLevel.Information, "Job {JobId}: rendered report {ReportId} ({Pages} pages)")]
    public static partial void ReportRendered(this ILogger logger, long jobId, int reportId, int pages);

    [LoggerMessage(3, LogLevel.Information, "Job {JobId}: from recurring job {Schedule}, occurrence {ScheduledFor:u} (triggered {IsTriggered}, catch-up {IsCatchUp}, missed {MissedCount})")]
    public static partial void ReportFromSchedule(this ILogger logger, long jobId, string schedule, DateTimeOffset scheduledFor, bool isTriggered, bool isCatchUp, int missedCount);
}
