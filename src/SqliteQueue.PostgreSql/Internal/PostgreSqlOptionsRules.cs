using System.Text.RegularExpressions;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>The rules <see cref="PostgreSqlOptions"/> must meet, each problem named by the option it is about.</summary>
internal static partial class PostgreSqlOptionsRules
{
    // The schema is spliced into every statement, so only names that need no quoting and fit NAMEDATALEN pass.
    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();

    public static IEnumerable<string> Problems(PostgreSqlOptions options)
    {
        if (options.Schema is null || !SchemaName().IsMatch(options.Schema))
        {
            yield return $"PostgreSqlOptions.Schema '{options.Schema}' is not valid: use a lowercase letter, then up to 62 lowercase letters, digits or underscores.";
        }
    }

    /// <summary>Throws when the options break a rule: a store built without start-up validation (hostless) checks them here.</summary>
    public static void ThrowIfInvalid(PostgreSqlOptions options)
    {
        foreach (var problem in Problems(options))
        {
            throw new ArgumentException(problem, nameof(options));
        }
    }
}
