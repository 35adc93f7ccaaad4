using System.Globalization;
using System.Text.Json;

namespace SqliteQueue.CommandLine.Internal;

/// <summary>How a job is shown: its state in words, its attempts, and its payload as JSON rather than as a string of JSON.</summary>
internal static class JobView
{
    private static readonly JsonSerializerOptions Indent = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string StateText(JobInfo job) =>
        job.State.ToString().ToLowerInvariant() + (job.CancellationRequested && !job.State.IsFinished() ? " (cancel requested)" : "");

    public static string Attempts(JobInfo job) => string.Create(CultureInfo.InvariantCulture, $"{job.Attempt}/{job.MaxAttempts}");

    public static string Indented(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, Indent);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    /// <summary>The job for <c>--json</c>: every field, with the payload embedded as JSON.</summary>
    public static object Of(JobInfo job)
    {
        JsonElement payload;
        try
        {
            using var document = JsonDocument.Parse(job.PayloadJson);
            payload = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            payload = JsonSerializer.SerializeToElement(job.PayloadJson);
        }

        return new
        {
            job.Id,
            job.Queue,
            job.Type,
            job.State,
            job.CancellationRequested,
            job.Attempt,
            job.MaxAttempts,
            job.Priority,
            job.CreatedAt,
            job.RunAt,
            job.StartedAt,
            job.FinishedAt,
            job.LeaseOwner,
            job.LeaseExpiresAt,
            timeoutSeconds = job.Timeout?.TotalSeconds,
            job.DeduplicationKey,
            job.RecurringName,
            job.ScheduledFor,
            job.LastError,
            payload,
        };
    }
}
