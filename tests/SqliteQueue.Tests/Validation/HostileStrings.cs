using System.Text;

namespace SqliteQueue.Tests.Validation;

/// <summary>
/// Hostile strings by name. Theories pass the name, never the string: xunit serializes theory data as UTF-8,
/// which would turn a lone surrogate into U+FFFD before the test ever saw it.
/// </summary>
internal static class HostileStrings
{
    /// <summary>The names of the strings with no visible character, which no name or key may be.</summary>
    public static TheoryData<string> Blank { get; } = new()
    {
        "whitespace-only", "nbsp", "zero-width-space", "only-tab", "only-newlines", "unicode-spaces", "line-separators",
        "invisible-formats", "fillers-and-selectors", "tag-characters", "spaces-and-zero-width",
    };

    private static readonly Dictionary<string, string> Values = new(StringComparer.Ordinal)
    {
        ["empty"] = "",
        ["quotes"] = "it's \"quoted\" `back` [bracketed] ''",
        ["sql-injection"] = "'); DROP TABLE queue_jobs;--",
        ["sql-injection-double"] = "\"; DELETE FROM queue_jobs; SELECT \"",
        ["like-wildcards"] = "%_*?\\",
        ["sql-comment"] = "/* x */ -- y",
        ["nul"] = "before\0after",
        ["only-nul"] = "\0",
        ["newline"] = "line\nbreak\r\n",
        ["tab"] = "a\tb",
        ["emoji"] = "😀👨‍👩‍👧‍👦🏳️‍🌈",
        ["emoji-100"] = string.Concat(Enumerable.Repeat("😀", 100)),
        ["emoji-500"] = string.Concat(Enumerable.Repeat("🎉", 500)),
        ["emoji-10000"] = string.Concat(Enumerable.Repeat("😀", 10_000)),
        ["lone-high"] = "a\uD800b",
        ["lone-low"] = "\uDC00z",
        ["reversed-pair"] = "\uDE00\uD83D",
        ["trailing-high"] = "end\uD83D",
        ["rtl-zero-width"] = "\u202Eevil\u202C\u200B\u200C\u200D\u2066x\u2069\uFEFF",
        ["arabic-hebrew"] = "مرحبا שלום",
        ["combining"] = "e\u0301\u0300\u0327",
        ["non-bmp-cjk"] = "𠀀𪚥",
        ["whitespace-only"] = "   ",
        ["padded"] = "  padded name  ",
        ["nbsp"] = "\u00A0",
        ["nbsp-inside"] = "a\u00A0b",
        ["zero-width-space"] = "\u200B",
        ["only-tab"] = "\t",
        ["only-newlines"] = "\r\n",
        ["unicode-spaces"] = " \u00A0\u1680\u2003\u202F\u205F\u3000",
        ["line-separators"] = "\u2028\u2029\u0085",
        ["invisible-formats"] = "\u200B\u200C\u200D\u2060\uFEFF\u00AD\u202E\u2066",
        ["fillers-and-selectors"] = "\u3164\u115F\uFFA0\uFE0F\u034F\u180E",
        ["tag-characters"] = "\U000E0041\U000E007F",
        ["spaces-and-zero-width"] = " \u200B \uFEFF ",
        ["unicode-replacement"] = "\uFFFD\uFFFE\uFFFF",
    };

    public static string Get(string name) => Values[name];

    /// <summary>The string as its UTF-16 code units, for readable failure messages.</summary>
    public static string Dump(string value)
    {
        var builder = new StringBuilder();
        foreach (var c in value.Length > 40 ? value[..40] : value)
        {
            builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(int)c:X4} ");
        }

        return builder.ToString();
    }
}
