using System.Collections.Concurrent;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>The statements with the schema written in, each built once. The schema name is validated, so it needs no quoting.</summary>
internal sealed class PgSqlText(string schema)
{
    private readonly ConcurrentDictionary<string, string> _texts = new(ReferenceEqualityComparer.Instance);

    public string Schema { get; } = schema;

    public string this[string template] => _texts.GetOrAdd(template, static (t, s) => t.Replace("{schema}", s, StringComparison.Ordinal), Schema);
}
