using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// The schema: versioned embedded scripts (<c>Migrations/NNNN_name.sql</c>), applied in one transaction under a
/// transaction-scoped advisory lock, so processes starting together migrate once and a transaction pooler can carry
/// the lock. A schema written by a newer version of the code is refused, untouched.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    private const string ResourcePrefix = "SqliteQueue.PostgreSql.Migrations.";

    private const string LockMigrations = "SELECT pg_advisory_xact_lock(hashtextextended('sqlitequeue.migrate.' || @schema, 0));";

    private const string CreateVersionTable = """
        CREATE SCHEMA IF NOT EXISTS {schema};
        CREATE TABLE IF NOT EXISTS {schema}.schema_version (
            version    integer NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    private const string ReadVersion = "SELECT coalesce(max(version), 0) FROM {schema}.schema_version;";

    private const string WriteVersion = "INSERT INTO {schema}.schema_version (version) VALUES (@version);";

    private static readonly Lazy<IReadOnlyList<(int Version, string Script)>> Scripts = new(LoadScripts);

    /// <summary>The newest schema version this code knows.</summary>
    public static int LatestVersion => Scripts.Value[^1].Version;

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteAsync(connection, transaction, LockMigrations, Params.Text("schema", Sql.Schema), cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, transaction, CreateVersionTable, null, cancellationToken).ConfigureAwait(false);
                int version;
                var read = Command(ReadVersion, connection, transaction);
                await using (read.ConfigureAwait(false))
                {
                    version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                }

                if (version > LatestVersion)
                {
                    throw new IncompatibleDatabaseException(
                        $"The queue schema {Display} is at version {version}, written by a newer version of SqliteQueue.PostgreSql; this one knows up to {LatestVersion}. Upgrade the package, or use another PostgreSqlOptions.Schema. Nothing was changed.");
                }

                foreach (var (number, script) in Scripts.Value)
                {
                    if (number <= version)
                    {
                        continue;
                    }

                    await ExecuteAsync(connection, transaction, script, null, cancellationToken).ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction, WriteVersion, Params.Integer("version", number), cancellationToken).ConfigureAwait(false);
                    _logger.SchemaMigrated(Display, number);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string template, NpgsqlParameter? parameter, CancellationToken cancellationToken)
    {
        var command = Command(template, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            if (parameter is not null)
            {
                command.Parameters.Add(parameter);
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static List<(int Version, string Script)> LoadScripts()
    {
        var assembly = typeof(PostgreSqlJobStore).Assembly;
        var scripts = new List<(int, string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var version = int.Parse(name.AsSpan(ResourcePrefix.Length, 4), CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            scripts.Add((version, reader.ReadToEnd()));
        }

        return scripts;
    }
}
