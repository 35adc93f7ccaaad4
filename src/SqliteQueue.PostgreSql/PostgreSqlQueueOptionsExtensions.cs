using Npgsql;
using SqliteQueue.PostgreSql.Internal;

namespace SqliteQueue.PostgreSql;

/// <summary>Puts the queue on PostgreSQL instead of a SQLite file.</summary>
public static class PostgreSqlQueueOptionsExtensions
{
    /// <summary>
    /// Keeps the queue's jobs in the PostgreSQL database <paramref name="connectionString"/> names, in the schema
    /// <see cref="PostgreSqlOptions.Schema"/>, which is created and migrated on first use. Everything else in
    /// <paramref name="options"/> applies as on SQLite; the SQLite-only settings (<see cref="SqliteQueueOptions.ConnectionString"/>,
    /// <see cref="SqliteQueueOptions.TablePrefix"/>, the file and WAL settings) are ignored.
    /// </summary>
    /// <param name="options">The queue's options, as given to <c>new SqliteJobQueue(...)</c> or <c>AddSqliteQueue</c>.</param>
    /// <param name="connectionString">An Npgsql connection string, such as <c>Host=db;Database=app;Username=app;Password=...</c>.</param>
    /// <param name="configure">Sets the PostgreSQL options; null keeps their defaults.</param>
    /// <returns><paramref name="options"/>, to chain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is empty or not a valid Npgsql connection string.</exception>
    public static SqliteQueueOptions UsePostgreSql(this SqliteQueueOptions options, string connectionString, Action<PostgreSqlOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateConnectionString(connectionString);
        var pgOptions = new PostgreSqlOptions();
        configure?.Invoke(pgOptions);
        options.StoreFactory = context => new PostgreSqlJobStore(context, connectionString, pgOptions);
        options.ValidateStore = () => PostgreSqlOptionsRules.Problems(pgOptions);
        return options;
    }

    private static void ValidateConnectionString(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException("The PostgreSQL connection string is empty; give one such as 'Host=db;Database=app;Username=app'.", nameof(connectionString));
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException or OverflowException)
        {
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {ex.Message}", nameof(connectionString), ex);
        }
    }
}
