using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using SqliteQueue.Diagnostics;
using SqliteQueue.Events;

namespace SqliteQueue.Tests.Diagnostics;

/// <summary>
/// Tests that listen to the queue's ActivitySource run alone: a listener is process-wide, and "no listener" must mean none.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TracingCollection
{
    public const string Name = "Tracing (process-wide listeners)";
}

/// <summary>Records the stopped spans of the queue's source, every one sampled with all data.</summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SqliteQueueDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
            {
                Sampled.Enqueue((options.Name, options.Links?.ToList() ?? []));
                return ActivitySamplingResult.AllDataAndRecorded;
            },
            ActivityStopped = Spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<Activity> Spans { get; } = new();

    /// <summary>What the sampler was shown of each span as it started: its name and links.</summary>
    public ConcurrentQueue<(string Name, List<ActivityLink> Links)> Sampled { get; } = new();

    /// <summary>The spans on <paramref name="queue"/> (its destination), in the order they stopped.</summary>
    public List<Activity> On(string queue) => [.. Spans.Where(a => Equals(a.GetTagItem("messaging.destination.name"), queue))];

    public Activity One(string name, string queue) => On(queue).Should().ContainSingle(a => a.DisplayName == name).Subject;

    public void Dispose() => _listener.Dispose();
}

/// <summary>One measurement of an instrument, with its tags.</summary>
public sealed record Recorded(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags);

/// <summary>Records the measurements of one store's meter only: other tests' stores report beside it in this process.</summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    internal MetricRecorder(SqliteJobQueue queue)
    {
        var meter = queue.Store.Metrics.Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        _listener.Start();
    }

    public ConcurrentQueue<Recorded> Measurements { get; } = new();

    public List<Recorded> Of(string instrument) => [.. Measurements.Where(m => m.Instrument == instrument)];

    /// <summary>Asks every observable instrument for its value now and returns what they reported.</summary>
    public List<Recorded> Observe()
    {
        Measurements.Clear();
        _listener.RecordObservableInstruments();
        return [.. Measurements];
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        Measurements.Enqueue(new Recorded(instrument.Name, instrument.Unit, value, dictionary));
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>Keeps every job event it is given.</summary>
public sealed class EventRecorder : IJobObserver
{
    public ConcurrentQueue<JobEvent> Events { get; } = new();

    public List<JobEvent> For(long jobId) => [.. Events.Where(e => e.JobId == jobId)];

    public void OnJobEvent(JobEvent jobEvent) => Events.Enqueue(jobEvent);
}

internal static class Tag
{
    /// <summary>The tags a test expects, to compare with a recorded set exactly.</summary>
    public static Dictionary<string, object?> Set(params (string Key, object? Value)[] tags) => tags.ToDictionary(t => t.Key, t => t.Value);

    public static Dictionary<string, object?> Of(Activity activity) => activity.TagObjects.ToDictionary(t => t.Key, t => t.Value);

    public static string NewQueue() => "q" + Guid.NewGuid().ToString("N")[..12];
}
