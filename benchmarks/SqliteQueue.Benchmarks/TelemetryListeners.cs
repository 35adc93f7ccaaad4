using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace SqliteQueue.Benchmarks;

/// <summary>What listens to the queue's <see cref="ActivitySource"/> and <see cref="Meter"/> during a measurement.</summary>
public enum TelemetryListener
{
    /// <summary>Nothing: the library's instruments have no listener, as in an application without telemetry.</summary>
    None,

    /// <summary>
    /// A bare <see cref="ActivityListener"/> that samples every span with all its data, and a <see cref="MeterListener"/>
    /// that takes every measurement: the least any telemetry consumer does.
    /// </summary>
    BareListeners,

    /// <summary>
    /// The OpenTelemetry SDK as an application sets it up: a tracer provider on the source with the always-on sampler
    /// and a batch processor in front of an exporter that drops what it is given, and a meter provider on the meter
    /// that aggregates every measurement for an in-memory exporter.
    /// </summary>
    OpenTelemetrySdk,
}

/// <summary>Installs a <see cref="TelemetryListener"/> for the length of a measurement.</summary>
internal static class TelemetryListeners
{
    /// <summary>The name of the library's <see cref="ActivitySource"/> and <see cref="Meter"/>.</summary>
    public const string Name = "SqliteQueue";

    /// <summary>The words the end-to-end modes take after <c>--telemetry</c>.</summary>
    public const string Choices = "none|listener|otel";

    public static bool TryParse(string text, out TelemetryListener listener)
    {
        (var known, listener) = text switch
        {
            "none" => (true, TelemetryListener.None),
            "listener" => (true, TelemetryListener.BareListeners),
            "otel" => (true, TelemetryListener.OpenTelemetrySdk),
            _ => (false, TelemetryListener.None),
        };
        return known;
    }

    /// <summary>Starts listening; disposing the result stops it and flushes what the SDK still holds.</summary>
    public static TelemetrySubscription Install(TelemetryListener listener) => listener switch
    {
        TelemetryListener.None => new TelemetrySubscription(listener, []),
        TelemetryListener.BareListeners => InstallListeners(),
        TelemetryListener.OpenTelemetrySdk => InstallSdk(),
        _ => throw new ArgumentOutOfRangeException(nameof(listener), listener, $"Unknown listener; expected one of {string.Join(", ", Enum.GetNames<TelemetryListener>())}."),
    };

    private static TelemetrySubscription InstallListeners()
    {
        var counts = new Counts();
        var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            SampleUsingParentId = static (ref ActivityCreationOptions<string> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref counts.Spans),
        };
        ActivitySource.AddActivityListener(activities);

        var meters = new MeterListener
        {
            InstrumentPublished = static (instrument, listener) =>
            {
                if (instrument.Meter.Name == Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };

        // Every numeric type an instrument may use, so no measurement of the library's is left unseen.
        meters.SetMeasurementEventCallback<byte>((_, _, _, _) => Interlocked.Increment(ref counts.Measurements));
        meters.SetMeasurementEventCallback<short>((_, _, _, _) => Interlocked.Increment(ref counts.Measurements));
        meters.SetMeasurementEventCallback<int>((_, _, _, _) => Interlocked.Increment(ref counts.Measurements));
        meters.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref counts.Measurements));
        meters.SetMeasurementEventCallback<float>((_, _, _, _) => Interlocked.Increment(ref counts.Measurements));
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref counts.Measurements));
        meters.SetMeasurementEventCallback<decimal>((_, _, _, _) => Interlocked.Increment(ref counts.Measurements));
        meters.Start();

        return new TelemetrySubscription(TelemetryListener.BareListeners, [activities, meters], () =>
        {
            // Observable instruments are read only when a consumer collects; once at the end shows they answer,
            // without charging a collection to the measured operations.
            meters.RecordObservableInstruments();
            return $"{Volatile.Read(ref counts.Spans):N0} spans stopped, {Volatile.Read(ref counts.Measurements):N0} measurements";
        });
    }

    private static TelemetrySubscription InstallSdk()
    {
        var exporter = new DroppingExporter();
        var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(Name)
            .SetSampler(new AlwaysOnSampler())
            .AddProcessor(new BatchActivityExportProcessor(exporter))
            .Build();
        var metrics = new List<Metric>();
        var metering = Sdk.CreateMeterProviderBuilder()
            .AddMeter(Name)
            .AddInMemoryExporter(metrics)
            .Build();

        return new TelemetrySubscription(TelemetryListener.OpenTelemetrySdk, [tracing, metering], () =>
        {
            tracing.ForceFlush();
            metering.ForceFlush();
            var streams = metrics.Select(m => m.Name).Distinct(StringComparer.Ordinal).Count();
            return $"{exporter.Exported:N0} spans exported, {streams} metric streams";
        });
    }

    private sealed class Counts
    {
        public long Spans;
        public long Measurements;
    }

    /// <summary>An exporter that keeps nothing, so a long run measures the SDK's pipeline and not a growing list.</summary>
    private sealed class DroppingExporter : BaseExporter<Activity>
    {
        private long _exported;

        public long Exported => Volatile.Read(ref _exported);

        public override ExportResult Export(in Batch<Activity> batch)
        {
            Interlocked.Add(ref _exported, batch.Count);
            return ExportResult.Success;
        }
    }
}

/// <summary>An installed <see cref="TelemetryListener"/>; <see cref="Describe"/> says what it saw.</summary>
internal sealed class TelemetrySubscription(TelemetryListener listener, IDisposable[] parts, Func<string>? describe = null) : IDisposable
{
    public TelemetryListener Listener { get; } = listener;

    /// <summary>What the listener saw so far (it flushes the SDK first); for the lines printed after a run.</summary>
    public string Describe() => $"telemetry {Listener}: {describe?.Invoke() ?? "no listener"}";

    public void Dispose()
    {
        foreach (var part in parts)
        {
            part.Dispose();
        }
    }
}
