
namespace SqliteQueue.Samples.PostgreSql;

/// <summary>The job type names: the queue stores these, never a CLR type name.</summary>
public static class JobTypes
{
    public const string TrackUsage = "track_usage";
}

/// <summary>One usage event to send to the analytics service.</summary>
public sealed record TrackUsage(string Event, string User);

/// <summary>Stands in for the analytics service: counts what was sent, and is sometimes unavailable.</summary>
public sealed class UsageSink
{
    private int _sent;

    public int Sent => Volatile.Read(ref _sent);

    public async Task SendAsync(TrackUsage usage, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken);

        // One call in twenty fails, as a remote service does now and then: the queue retries it.
        if (Random.Shared.Next(20) == 0)
        {
            throw new HttpRequestException($"analytics service unavailable for {usage.Event}");
        }

        Interlocked.Increment(ref _sent);
    }
}

public sealed class TrackUsageHandler(UsageSink sink) : IJobHandler<TrackUsage>
{
    public Task HandleAsync(JobContext<TrackUsage> job, CancellationToken cancellationToken) => sink.SendAsync(job.Payload, cancellationToken);
}
