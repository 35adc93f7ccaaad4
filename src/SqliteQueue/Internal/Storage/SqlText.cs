using System.Reflection;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// The <see cref="JobSql"/>, <see cref="Recurring.RecurringSql"/>, <see cref="Maintenance.MaintenanceSql"/> and <see cref="Monitoring.MonitoringSql"/> constants with the table prefix filled in, rendered once per store. Lookups are by
/// reference, since callers always pass the constants themselves.
/// </summary>
internal sealed class SqlText
{
    public const string PrefixToken = "{prefix}";

    private readonly Dictionary<string, string> _rendered = new(ReferenceEqualityComparer.Instance);

    public SqlText(string prefix)
    {
        Prefix = prefix;
        foreach (var template in AllTemplates)
        {
            _rendered[template] = Render(template, prefix);
        }
    }

    public string Prefix { get; }

    public string this[string template] => _rendered.TryGetValue(template, out var sql)
        ? sql
        : throw new InvalidOperationException("Only JobSql, RecurringSql, MaintenanceSql and MonitoringSql constants can be rendered.");

    // String constants are interned by the runtime, so interning the reflected values yields the very references callers pass.
    public static IReadOnlyList<string> AllTemplates { get; } = new[] { typeof(JobSql), typeof(Recurring.RecurringSql), typeof(Maintenance.MaintenanceSql), typeof(Monitoring.MonitoringSql) }
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => string.Intern((string)f.GetRawConstantValue()!))
        .ToArray();

    public static string Render(string template, string prefix) => template.Replace(PrefixToken, prefix, StringComparison.Ordinal);
}
