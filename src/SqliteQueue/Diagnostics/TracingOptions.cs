namespace SqliteQueue.Diagnostics;

/// <summary>How the queue's spans are shaped; see <see cref="SqliteQueueOptions.Tracing"/>.</summary>
public sealed class TracingOptions
{
    /// <summary>
    /// How each attempt's <c>process</c> span relates to the <c>send</c> span (or the ambient span) its job was
    /// enqueued in, whose W3C trace context is stored with the job.
    /// </summary>
    /// <value>
    /// The default is <see cref="SpanParenting.Link"/>, as the OpenTelemetry messaging conventions advise: a job may run
    /// minutes or days after its enqueue, and a parent would stretch the enqueuing trace over all of that.
    /// </value>
    public SpanParenting ProcessSpanParenting { get; set; } = SpanParenting.Link;

    /// <summary>
    /// Whether a failed attempt's span carries the exception's message (as its status description and an
    /// <c>exception</c> event with the stack trace). Messages can hold personal or secret data, which trace back ends
    /// keep and show widely; without this the span says only the exception's type, in <c>error.type</c>.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool RecordExceptionMessages { get; set; }
}

/// <summary>How a <c>process</c> span relates to the trace context its job was enqueued in.</summary>
public enum SpanParenting
{
    /// <summary>
    /// The span links to the stored context and is not its child: it starts a trace of its own, or is a child of the
    /// span current where the job runs.
    /// </summary>
    Link,

    /// <summary>The span is a child of the stored context, continuing the enqueuing trace; when there is none, as <see cref="Link"/>.</summary>
    Parent,

    /// <summary>The stored context is ignored: no link and no parent.</summary>
    None,
}
