namespace SqliteQueue.Diagnostics;

/// <summary>
/// The names under which the queue reports traces and metrics, for wiring a collector such as OpenTelemetry:
/// <c>AddSource(SqliteQueueDiagnostics.ActivitySourceName)</c> and <c>AddMeter(SqliteQueueDiagnostics.MeterName)</c>.
/// </summary>
public static class SqliteQueueDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of the queue's spans (<c>send</c> and <c>process</c>).</summary>
    public const string ActivitySourceName = "SqliteQueue";

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> each store reports its instruments on.</summary>
    public const string MeterName = "SqliteQueue";
}
