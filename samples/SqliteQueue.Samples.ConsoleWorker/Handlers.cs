using System.Collections.Concurrent;

namespace SqliteQueue.Samples.ConsoleWorker;

/// <summary>A singleton the handlers share, to count what they did; handlers get it through constructor injection.</summary>
internal sealed class WorkLog
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public void Count(string what) => _counts.AddOrUpdate(what, 1, static (_, n) => n + 1);

    public IReadOnlyDictionary<string, int> Snapshot() => new SortedDictionary<string, int>(_counts, StringComparer.Ordinal);
}

/// <summary>Handles <c>email.send</c>. A new instance runs in a fresh DI scope for every job.</summary>
internal sealed class SendEmailHandler(WorkLog log) : IJobHandler<SendEmail>
{
    public async Task HandleAsync(JobContext<SendEmail> job, CancellationToken cancellationToken)
    {
        // Stand-in for real work; passing the token lets a timeout, a cancel or shutdown stop it.
        await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        log.Count("emails sent");
        Console.WriteLine($"  job {job.JobId} {job.Type}: sent to {job.Payload.To} \"{job.Payload.Subject}\"");
    }
}

/// <summary>Handles <c>image.resize</c>: one image fails its first attempt and is retried; one can never succeed.</summary>
internal sealed class ResizeImageHandler(WorkLog log) : IJobHandler<ResizeImage>
{
    public async Task HandleAsync(JobContext<ResizeImage> job, CancellationToken cancellationToken)
    {
        var image = job.Payload;
        if (image.Width <= 0)
        {
            // Retrying cannot fix bad input: dead-letter the job at once instead of spending its attempts.
            log.Count("images rejected");
            Console.WriteLine($"  job {job.JobId} {job.Type}: width {image.Width} is invalid; failing permanently");
            throw new PermanentJobFailureException($"Width must be positive; got {image.Width}.");
        }

        if (image.FlakyFirstAttempt && job.Attempt == 1)
        {
            // Any other exception fails this attempt; the job comes back after the backoff delay.
            log.Count("transient failures");
            Console.WriteLine($"  job {job.JobId} {job.Type}: attempt {job.Attempt} of {job.MaxAttempts} fails (storage unavailable)");
            throw new IOException($"Storage unavailable while reading {image.Path}.");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(40), cancellationToken);
        log.Count("images resized");
        Console.WriteLine($"  job {job.JobId} {job.Type}: resized {image.Path} to {image.Width}px (attempt {job.Attempt})");
    }
}

/// <summary>
/// Handles <c>housekeeping</c>, the job type of the recurring jobs. <see cref="JobContext{TPayload}.Recurring"/> says
/// which schedule enqueued the job and for which occurrence; it is null for jobs enqueued by hand.
/// </summary>
internal sealed class HousekeepingHandler : IJobHandler<Housekeeping>
{
    public async Task HandleAsync(JobContext<Housekeeping> job, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken);
        var origin = job.Recurring switch
        {
            null => "enqueued by hand",
            { IsTriggered: true } r => $"schedule '{r.Name}', triggered at {r.ScheduledFor:HH:mm:ss} UTC",
            { IsCatchUp: true } r => $"schedule '{r.Name}', late for {r.ScheduledFor:HH:mm:ss} UTC ({r.MissedCount} missed)",
            var r => $"schedule '{r.Name}', occurrence {r.ScheduledFor:HH:mm:ss} UTC",
        };
        Console.WriteLine($"  job {job.JobId} {job.Type}: {job.Payload.Task} ({origin})");
    }
}
