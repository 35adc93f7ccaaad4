using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SqliteQueue.CommandLine.Internal;

/// <summary>
/// What a command prints: human-readable text and tables by default, one JSON document with <c>--json</c>. Errors go to
/// standard error as text, and with <c>--json</c> also to standard output as <c>{"error": ...}</c>, so a script reading
/// the output always gets JSON.
/// </summary>
internal sealed class Output(ParseResult result, bool json)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public bool Json { get; } = json;

    public TextWriter Text { get; } = result.InvocationConfiguration.Output;

    public TextWriter ErrorText { get; } = result.InvocationConfiguration.Error;

    public void WriteJson<T>(T value) => Text.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    public void Line(string text = "") => Text.WriteLine(text);

    public void Table(TextTable table, string empty)
    {
        if (table.Count == 0)
        {
            Text.WriteLine(empty);
        }
        else
        {
            table.WriteTo(Text);
        }
    }

    /// <summary>Name-value lines, the names aligned.</summary>
    public void Fields(params (string Name, string? Value)[] fields)
    {
        var width = fields.Max(f => f.Name.Length) + 1;
        foreach (var (name, value) in fields)
        {
            Text.WriteLine($"{(name + ":").PadRight(width)} {value ?? "-"}");
        }
    }

    public void Failure(string message, int exitCode)
    {
        ErrorText.WriteLine($"error: {message}");
        if (Json)
        {
            WriteJson(new { error = new { message, exitCode } });
        }
    }

    public static string Time(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Age(TimeSpan? age) => age is { } a ? Durations.Format(a) : "-";

    public static string Shorten(string? text, int max) =>
        text is null ? "" : text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
