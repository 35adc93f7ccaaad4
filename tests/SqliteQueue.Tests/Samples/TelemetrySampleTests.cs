using System.Text.RegularExpressions;

namespace SqliteQueue.Tests.Samples;

/// <summary>
/// Runs the telemetry sample as a real process, the way a user runs it, and reads what its console exporter printed.
/// </summary>
public sealed class TelemetrySampleTests(TelemetrySampleRun run) : IClassFixture<TelemetrySampleRun>
{
    [Fact]
    public void Telemetry_sample_completes_its_job_exports_its_application_span_and_exits_0()
    {
        run.Result.ExitCode.Should().Be(0, run.Result.Describe());
        run.Result.Output.Should().MatchRegex(@"job \d+: Completed after 1 attempt\(s\)", run.Result.Describe());

        // The SDK is wired: the sample's own span went through the console exporter.
        run.Spans.Should().Contain(s => s.DisplayName == "checkout" && s.Kind == "Internal", run.Result.Describe());
    }

    [Fact]
    public void Telemetry_sample_prints_the_jobs_send_and_process_spans_in_the_enqueuing_trace()
    {
        var checkout = run.Spans.Single(s => s.DisplayName == "checkout");
        var send = run.Spans.Where(s => s.DisplayName.StartsWith("send ", StringComparison.Ordinal)).ToList();
        var process = run.Spans.Where(s => s.DisplayName.StartsWith("process ", StringComparison.Ordinal)).ToList();

        send.Should().ContainSingle($"one enqueue makes one send span.{run.Result.Describe()}");
        process.Should().ContainSingle($"one attempt makes one process span.{run.Result.Describe()}");
        send[0].Kind.Should().Be("Producer");
        process[0].Kind.Should().Be("Consumer");

        // The enqueue ran inside the application's span, so the send span is its child, in its trace.
        send[0].TraceId.Should().Be(checkout.TraceId);
        send[0].ParentSpanId.Should().Be(checkout.SpanId);

        // The process span reaches the enqueuing trace through a link by default, or as a child when parenting is on.
        (process[0].TraceId == send[0].TraceId || process[0].LinkedTraceIds.Contains(send[0].TraceId))
            .Should().BeTrue($"the process span should be in the send span's trace or link to it:{Environment.NewLine}{process[0].Text}");

        // The handler runs inside the process span.
        run.Result.Output.Should().MatchRegex(
            $@"current span 'process [^']+' \(Consumer\), trace ({Regex.Escape(process[0].TraceId)})",
            run.Result.Describe());
    }
}
