// A generic-host console app that wires the OpenTelemetry SDK to the queue's ActivitySource and Meter (both named
// "SqliteQueue"), enqueues one job inside an application span, waits for it to complete, then flushes the
// telemetry and exits. The console exporter prints each span and the metrics; with OTEL_EXPORTER_OTLP_ENDPOINT set
// (in the environment, or as --OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 on the command line), an OTLP
// exporter sends the same spans and metrics there as well.
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SqliteQueue;
using SqliteQueue.Samples.Telemetry;

var databasePath = Path.Combine(Path.GetTempPath(), $"sqlitequeue-telemetry-sample-{Guid.NewGuid():N}.db");
Console.WriteLine($"Queue file: {databasePath}");

try
{
    return await RunAsync(databasePath, args);
}
finally
{
    foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
    {
        File.Delete(file);
    }
}

static async Task<int> RunAsync(string databasePath, string[] args)
{
    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
    builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
    builder.Logging.AddFilter("SqliteQueue", LogLevel.Warning);

    builder.Services
        .AddSqliteQueue(o => o.ConnectionString = $"Data Source={databasePath}")
        .AddHandler<SendReceipt, SendReceiptHandler>(SendReceiptHandler.JobType)
        .AddWorker(o => o.WorkerId = "telemetry-sample");

    // The OTLP exporter reads its endpoint, protocol and headers from the same configuration keys, so naming the
    // endpoint is all it takes to turn it on.
    var otlpEndpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
    var otlp = !string.IsNullOrWhiteSpace(otlpEndpoint);
    builder.Services.AddOpenTelemetry()
        .ConfigureResource(r => r.AddService("sqlitequeue-telemetry-sample"))
        .WithTracing(t =>
        {
            t.AddSource(Telemetry.QueueSource, Telemetry.SourceName).AddConsoleExporter();
            if (otlp)
            {
                t.AddOtlpExporter();
            }
        })
        .WithMetrics(m =>
        {
            m.AddMeter(Telemetry.QueueSource).AddConsoleExporter();
            if (otlp)
            {
                m.AddOtlpExporter();
            }
        });

    using var host = builder.Build();
    await host.StartAsync();
    var client = host.Services.GetRequiredService<IQueueClient>();
    Console.WriteLine(otlp ? $"OTLP export to {otlpEndpoint}, beside the console" : "Console export only (set OTEL_EXPORTER_OTLP_ENDPOINT to add OTLP)");

    // The console exporter prints each span as it ends, so the spans appear among the lines below.
    Console.WriteLine();
    Console.WriteLine("== Enqueue inside an application span; the worker's output and the spans as they end");
    long jobId;
    using (var checkout = Telemetry.Source.StartActivity("checkout", ActivityKind.Internal))
    {
        // The enqueue runs with this span current, so the queue's span for it is a child of this one, in its trace,
        // and the trace context stored with the job carries that trace to the worker.
        jobId = await client.EnqueueAsync(SendReceiptHandler.JobType, new SendReceipt("order-1042", "ada@example.com"));
        Console.WriteLine($"  job {jobId} {SendReceiptHandler.JobType} enqueued in span 'checkout', trace {checkout?.TraceId}");
    }

    JobInfo done;
    using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
    {
        try
        {
            done = await client.WaitForJobAsync(jobId, timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"job {jobId} did not finish within 30 s");
            await host.StopAsync();
            return 1;
        }
    }

    // Stopping the host first lets the worker settle the job and end its span before the exporters are flushed.
    await host.StopAsync();
    Console.WriteLine($"  job {jobId}: {done.State} after {done.Attempt} attempt(s)");

    // Shutting the providers down now, rather than when the host is disposed, exports what is left exactly once
    // (a metric reader exports again at shutdown, so a flush before it would print every metric twice) and lets the
    // sample fail when an export does not finish.
    Console.WriteLine();
    Console.WriteLine("== Metrics (console exporter)");
    var traced = host.Services.GetRequiredService<TracerProvider>().Shutdown(5_000);
    var measured = host.Services.GetRequiredService<MeterProvider>().Shutdown(5_000);
    if (!traced || !measured)
    {
        await Console.Error.WriteLineAsync($"telemetry export did not finish (traces {traced}, metrics {measured})");
        return 1;
    }

    return done.State == JobState.Completed ? 0 : 1;
}
