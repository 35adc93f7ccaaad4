namespace SqliteQueue.CommandLine.Internal;

/// <summary>A plain text table: a header row, a rule, and left-aligned columns (right-aligned for numbers), sized to their widest cell.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private readonly bool[] _numeric = new bool[headers.Length];

    public int Count => _rows.Count;

    public TextTable Right(params int[] columns)
    {
        foreach (var column in columns)
        {
            _numeric[column] = true;
        }

        return this;
    }

    public void Add(params string?[] cells) => _rows.Add(cells.Select(c => Clean(c ?? "")).ToArray());

    public void WriteTo(TextWriter output)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        WriteRow(output, headers, widths);
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))).TrimEnd());
        foreach (var row in _rows)
        {
            WriteRow(output, row, widths);
        }
    }

    private void WriteRow(TextWriter output, string[] cells, int[] widths)
    {
        var text = cells.Select((c, i) => _numeric[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]));
        output.WriteLine(string.Join("  ", text).TrimEnd());
    }

    // One line per row: an error message's line breaks and tabs would break the columns.
    private static string Clean(string cell) => cell.ReplaceLineEndings(" ").Replace('\t', ' ');
}
