namespace SqliteQueue.Samples;

/// <summary>Stand-ins for real work: each takes a few milliseconds, and one report fails once.</summary>
internal static class Handlers
{
    public static async Task HandleAsync(ClaimedJob job, CancellationToken cancellationToken)
    {
        switch (job.Type)
        {
            case SendEmail.Type:
                var email = job.GetPayload<SendEmail>();
                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
                Console.WriteLine($"    sent email to {email.To}: \"{email.Subject}\"");
                break;

            case RenderReport.Type:
                var report = job.GetPayload<RenderReport>();
                if (report.FailFirstAttempt && job.Attempt == 1)
                {
                    throw new InvalidOperationException($"Report {report.ReportId}: the template server timed out.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
                Console.WriteLine($"    rendered report {report.ReportId} ({report.Pages} pages)");
                break;

            default:
                // A job type this worker does not know can never succeed here: fail it permanently.
                throw new NotSupportedException($"No handler for job type '{job.Type}'.");
        }
    }
}
