using System.Security.Cryptography;
using Npgsql;

namespace SqliteQueue.Tests.Infrastructure;

/// <summary>
/// The private PostgreSQL server that scripts/postgres.sh starts (scripts/test-setup.sh runs it). Without a server the
/// PostgreSQL tests fail with a message that says how to start one; they never skip, so a machine without PostgreSQL
/// cannot pass the suite by silently leaving them out.
/// </summary>
public static class PostgreSqlServer
{
    private const string SetUp = "run `bash scripts/test-setup.sh` from the repository root: it installs and starts the private PostgreSQL server the tests use";

    // Resolved and checked once: a missing server then fails every test at once instead of each waiting for a timeout.
    private static readonly Lazy<string> Resolved = new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>SQLITEQUEUE_TEST_PG when set, else the connection file that scripts/postgres.sh writes.</summary>
    public static string ConnectionString => Resolved.Value;

    /// <summary>Where scripts/postgres.sh writes the connection string: its state folder, by the same rules.</summary>
    public static string ConnectionFile
    {
        get
        {
            var state = Environment.GetEnvironmentVariable("SQLITEQUEUE_PG_DIR");
            if (string.IsNullOrEmpty(state))
            {
                // GetTempPath honours TMPDIR and falls back to /tmp, as the script's ${TMPDIR:-/tmp} does.
                state = Path.Combine(Path.GetTempPath(), "sqlitequeue-pg");
            }

            return Path.Combine(state, "connection");
        }
    }

    public static NpgsqlConnection Open(string? connectionString = null)
    {
        var connection = new NpgsqlConnection(connectionString ?? ConnectionString);
        connection.Open();
        return connection;
    }

    public static async Task<NpgsqlConnection> OpenAsync(string? connectionString = null)
    {
        var connection = new NpgsqlConnection(connectionString ?? ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static string Resolve()
    {
        var connectionString = Environment.GetEnvironmentVariable("SQLITEQUEUE_TEST_PG");
        var source = "SQLITEQUEUE_TEST_PG";
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var file = ConnectionFile;
            if (!File.Exists(file))
            {
                throw new InvalidOperationException(
                    $"The PostgreSQL tests need a PostgreSQL server, and neither SQLITEQUEUE_TEST_PG nor {file} names one; {SetUp}.");
            }

            connectionString = File.ReadAllText(file).Trim();
            source = file;
        }

        try
        {
            // A short timeout: a server that is not running refuses at once, and one that hangs should not hold every test.
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 10 };
            using var connection = new NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand("SELECT 1", connection);
            command.ExecuteScalar();
        }
        catch (Exception e) when (e is NpgsqlException or ArgumentException or InvalidOperationException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL server answers at \"{connectionString}\" (from {source}): {e.Message}; {SetUp}.", e);
        }

        return connectionString;
    }
}

/// <summary>
/// A fresh schema on the test server, so that tests share one database without seeing each other's tables; its
/// connection string puts the schema first on the search path. Dropped with everything in it on dispose.
/// </summary>
public sealed class PostgreSqlSchema : IDisposable, IAsyncDisposable
{
    private int _disposed;

    public PostgreSqlSchema()
    {
        Name = "sq_test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        ConnectionString = new NpgsqlConnectionStringBuilder(PostgreSqlServer.ConnectionString) { SearchPath = Name }.ConnectionString;
        using var connection = PostgreSqlServer.Open();
        using var command = new NpgsqlCommand($"CREATE SCHEMA \"{Name}\"", connection);
        command.ExecuteNonQuery();
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using var connection = PostgreSqlServer.Open();
        using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE", connection);
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await using var connection = await PostgreSqlServer.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
