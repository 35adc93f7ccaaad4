using System.Diagnostics;

namespace SqliteQueue.Internal.Diagnostics;

/// <summary>
/// The W3C trace context stored with a job, written and read through <see cref="DistributedContextPropagator.Current"/>
/// so an application that replaces the propagator (or silences it) decides what is stored. Baggage is never stored:
/// it would leak from one job into every job enqueued under it.
/// </summary>
internal static class TraceContext
{
    private const string TraceParentField = "traceparent";
    private const string TraceStateField = "tracestate";

    /// <summary>The context to store for a job enqueued now: the send span's, else the ambient span's, else none.</summary>
    public static (string? TraceParent, string? TraceState) Capture(Activity? send)
    {
        var activity = send ?? Activity.Current;
        if (activity is null)
        {
            return (null, null);
        }

        var carrier = new Carrier();
        DistributedContextPropagator.Current.Inject(activity, carrier, static (c, name, value) =>
        {
            var fields = (Carrier)c!;
            if (string.Equals(name, TraceParentField, StringComparison.OrdinalIgnoreCase))
            {
                fields.TraceParent = value;
            }
            else if (string.Equals(name, TraceStateField, StringComparison.OrdinalIgnoreCase))
            {
                fields.TraceState = value;
            }
        });
        return carrier.TraceParent is null ? (null, null) : (carrier.TraceParent, carrier.TraceState);
    }

    /// <summary>The stored context of a job, or <see langword="default"/> when none was stored or it does not parse.</summary>
    public static ActivityContext Extract(string? traceParent, string? traceState)
    {
        if (traceParent is null)
        {
            return default;
        }

        var carrier = new Carrier { TraceParent = traceParent, TraceState = traceState };
        DistributedContextPropagator.Current.ExtractTraceIdAndState(carrier, static (object? c, string name, out string? value, out IEnumerable<string>? values) =>
        {
            var fields = (Carrier)c!;
            values = null;
            value = string.Equals(name, TraceParentField, StringComparison.OrdinalIgnoreCase) ? fields.TraceParent
                : string.Equals(name, TraceStateField, StringComparison.OrdinalIgnoreCase) ? fields.TraceState
                : null;
        }, out var parent, out var state);
        return ActivityContext.TryParse(parent, state, isRemote: true, out var context) ? context : default;
    }

    private sealed class Carrier
    {
        public string? TraceParent { get; set; }

        public string? TraceState { get; set; }
    }
}
