using System.Diagnostics;

namespace SqliteQueue.Samples.Telemetry;

/// <summary>The payload of a <c>receipt.send</c> job.</summary>
/// <param name="OrderId">The order the receipt is for.</param>
/// <param name="Email">Where it goes.</param>
internal sealed record SendReceipt(string OrderId, string Email);

/// <summary>
/// Handles <c>receipt.send</c>. It runs inside the queue's <c>process</c> span, so <see cref="Activity.Current"/> is
/// that span and any span or log the handler creates belongs to it.
/// </summary>
internal sealed class SendReceiptHandler : IJobHandler<SendReceipt>
{
    public const string JobType = "receipt.send";

    public async Task HandleAsync(JobContext<SendReceipt> job, CancellationToken cancellationToken)
    {
        // A child span of the handler's own work, to show where application spans land inside a job.
        using (var render = Telemetry.Source.StartActivity("render receipt"))
        {
            render?.SetTag("order.id", job.Payload.OrderId);
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
        }

        var current = Activity.Current;
        var where = current is null
            ? "no span is current in the handler"
            : $"current span '{current.DisplayName}' ({current.Kind}), trace {current.TraceId}";
        Console.WriteLine($"  job {job.JobId} {job.Type}: receipt for {job.Payload.OrderId} to {job.Payload.Email}; {where}");
    }
}

/// <summary>The application's own source: the span the job is enqueued in, and the handler's work.</summary>
internal static class Telemetry
{
    public const string SourceName = "SqliteQueue.Samples.Telemetry";

    /// <summary>The library's <c>ActivitySource</c> and <c>Meter</c> name.</summary>
    public const string QueueSource = "SqliteQueue";

    public static readonly ActivitySource Source = new(SourceName);
}
