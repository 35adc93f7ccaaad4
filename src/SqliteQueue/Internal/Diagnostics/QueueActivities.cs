using System.Diagnostics;
using System.Globalization;
using SqliteQueue.Diagnostics;

namespace SqliteQueue.Internal.Diagnostics;

/// <summary>
/// The queue's spans, after the OpenTelemetry messaging conventions: <c>send {queue}</c> (PRODUCER) around an enqueue
/// and <c>process {queue}</c> (CONSUMER) around each attempt's handler. Nothing is built unless a listener samples
/// our source: <see cref="ActivitySource.HasListeners"/> is checked before any name or tag is made.
/// </summary>
internal static class QueueActivities
{
    public static readonly ActivitySource Source = new(
        SqliteQueueDiagnostics.ActivitySourceName, typeof(QueueActivities).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// Starts the span of one enqueue call: <paramref name="queue"/> is null for a batch over several queues, and
    /// <paramref name="batchCount"/> null for a single enqueue.
    /// </summary>
    public static Activity? StartSend(string? queue, string? type, int? batchCount)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var tags = new List<KeyValuePair<string, object?>>(6)
        {
            new(Tags.MessagingSystem, Tags.System),
            new(Tags.OperationName, Tags.Send),
            new(Tags.OperationType, Tags.Send),
        };
        if (queue is not null)
        {
            tags.Add(new(Tags.Destination, queue));
        }

        if (type is not null)
        {
            tags.Add(new(Tags.JobType, type));
        }

        if (batchCount is { } count)
        {
            tags.Add(new(Tags.BatchCount, count));
        }

        return Source.StartActivity(queue is null ? Tags.Send : "send " + queue, ActivityKind.Producer, default(ActivityContext), tags);
    }

    /// <summary>
    /// Starts the span of one attempt. With <see cref="SpanParenting.Link"/> it links to the job's stored context (and
    /// its parent is whatever span is current here, if any); with <see cref="SpanParenting.Parent"/> it is the stored
    /// context's child; with <see cref="SpanParenting.None"/> it ignores it. Links are given at the start, so samplers see them.
    /// </summary>
    public static Activity? StartProcess(ClaimedJob job, SpanParenting parenting)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var stored = parenting == SpanParenting.None ? default : TraceContext.Extract(job.TraceParent, job.TraceState);
        var hasStored = stored != default;
        var parent = parenting == SpanParenting.Parent && hasStored ? stored : default;
        var links = parenting == SpanParenting.Link && hasStored ? new[] { new ActivityLink(stored) } : null;
        var tags = new List<KeyValuePair<string, object?>>(9)
        {
            new(Tags.MessagingSystem, Tags.System),
            new(Tags.OperationName, Tags.Process),
            new(Tags.OperationType, Tags.Process),
            new(Tags.Destination, job.Queue),
            new(Tags.MessageId, job.Id.ToString(CultureInfo.InvariantCulture)),
            new(Tags.JobType, job.Type),
            new(Tags.Attempt, job.Attempt),
            new(Tags.Priority, job.Priority),
        };
        if (job.Recurring is { } recurring)
        {
            tags.Add(new(Tags.RecurringName, recurring.Name));
        }

        return Source.StartActivity("process " + job.Queue, ActivityKind.Consumer, parent, tags, links);
    }

    /// <summary>Marks a span failed: <c>error.type</c> and status Error, with the message only when the options allow it.</summary>
    public static void SetError(Activity activity, string errorType, Exception? exception, bool recordMessages)
    {
        activity.SetTag(Tags.ErrorType, errorType);
        if (recordMessages && exception is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity.AddException(exception);
        }
        else
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>The <c>error.type</c> of an exception: its type's full name, which is low in cardinality.</summary>
    public static string ErrorTypeOf(Exception exception) => exception.GetType().FullName ?? exception.GetType().Name;
}
