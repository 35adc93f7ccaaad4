using System.Text.RegularExpressions;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Packaging;

namespace SqliteQueue.Tests.Samples;

/// <summary>
/// One run of the built telemetry sample (samples/SqliteQueue.Samples.Telemetry) as its own process, shared by the
/// tests that read its output, and the spans its console exporter printed.
/// </summary>
public sealed class TelemetrySampleRun : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    internal DotnetResult Result { get; private set; } = new("", -1, "");

    /// <summary>Every span the console exporter printed, in the order they ended.</summary>
    internal IReadOnlyList<PrintedSpan> Spans { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var dll = BuiltPrograms.Dll("TelemetrySamplePath", "The telemetry sample");
        Result = await DotnetCli.RunAsync(Path.GetDirectoryName(dll)!, Timeout, dll);
        Spans = PrintedSpan.Parse(Result.Output);
    }

    public Task DisposeAsync() => Task.CompletedTask;

}

/// <summary>
/// One span as the OpenTelemetry console exporter prints it: a block of lines from <c>Activity.TraceId:</c> to the
/// next blank line.
/// </summary>
/// <param name="TraceId">Its trace id.</param>
/// <param name="SpanId">Its span id.</param>
/// <param name="ParentSpanId">Its parent's span id, or null for a root span.</param>
/// <param name="DisplayName">Its name, for the queue's spans <c>send {queue}</c> or <c>process {queue}</c>.</param>
/// <param name="Kind">Producer, Consumer, Internal and so on.</param>
/// <param name="LinkedTraceIds">The trace ids of the spans it links to.</param>
/// <param name="Text">The whole block, for failure messages.</param>
internal sealed partial record PrintedSpan(
    string TraceId, string SpanId, string? ParentSpanId, string DisplayName, string Kind, IReadOnlyList<string> LinkedTraceIds, string Text)
{
    public static IReadOnlyList<PrintedSpan> Parse(string output)
    {
        var spans = new List<PrintedSpan>();
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("Activity.TraceId:", StringComparison.Ordinal))
            {
                continue;
            }

            var end = i;
            while (end < lines.Length && lines[end].Length > 0)
            {
                end++;
            }

            var block = lines[i..end];
            var links = new List<string>();
            var inLinks = false;
            foreach (var line in block)
            {
                if (!line.StartsWith(' '))
                {
                    inLinks = line.StartsWith("Activity.Links:", StringComparison.Ordinal);
                }
                else if (inLinks && LinkLine().Match(line) is { Success: true } link)
                {
                    links.Add(link.Groups[1].Value);
                }
            }

            spans.Add(new PrintedSpan(
                Field(block, "Activity.TraceId:") ?? "",
                Field(block, "Activity.SpanId:") ?? "",
                Field(block, "Activity.ParentSpanId:"),
                Field(block, "Activity.DisplayName:") ?? "",
                Field(block, "Activity.Kind:") ?? "",
                links,
                string.Join(Environment.NewLine, block)));
            i = end;
        }

        return spans;
    }

    private static string? Field(string[] block, string name) =>
        block.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?[name.Length..].Trim();

    /// <summary>A link as the exporter lists it under <c>Activity.Links:</c>: its trace id, then its span id.</summary>
    [GeneratedRegex("^ +([0-9a-f]{32}) [0-9a-f]{16}")]
    private static partial Regex LinkLine();
}
