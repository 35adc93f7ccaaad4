using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// Brings a file to the latest schema. The version lives in <c>PRAGMA user_version</c>; migrations are embedded
/// <c>.sql</c> files named by their version. A file that is not SQLite or is newer than this library is refused
/// before anything is written to it.
/// </summary>
internal static class Migrator
{
    private const int SqliteNotADatabase = 26;

    public static IReadOnlyList<(int Version, string Script)> Migrations { get; } = LoadMigrations();

    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Refuses a file this library must not touch. Reads only.</summary>
    public static int CheckCompatible(SqliteConnection connection, string dataSource)
    {
        CheckHeader(connection, dataSource);
        int version;
        try
        {
            version = Convert.ToInt32(ConnectionFactory.Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteNotADatabase)
        {
            throw new IncompatibleDatabaseException(Errors.NotADatabase(dataSource), ex);
        }

        if (version > LatestVersion)
        {
            throw new IncompatibleDatabaseException(Errors.SchemaTooNew(dataSource, version, LatestVersion));
        }

        return version;
    }

    /// <summary>
    /// Refuses a non-empty file that does not start with SQLite's 16-byte header, before any statement reads it.
    /// SQLite cannot be trusted with this: on Unix it reports a 1-byte file as empty (the byte is its own
    /// workaround for an old file-system bug) and would write a new database over it. An empty file is a new
    /// database; a memory or temporary database has no file name and nothing to check.
    /// </summary>
    private static void CheckHeader(SqliteConnection connection, string dataSource)
    {
        // The name SQLite resolved, after URI parsing and |DataDirectory|: the file it will write.
        var path = SQLitePCL.raw.sqlite3_db_filename(connection.Handle, "main").utf8_to_string();
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        Span<byte> header = stackalloc byte[16];
        long length;
        int read;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            length = file.Length;
            read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return;
        }

        // A cipher (SQLCipher and the like, with Password=) encrypts the header too: SQLite itself judges those.
        var encrypted = length >= header.Length && new SqliteConnectionStringBuilder(connection.ConnectionString).Password.Length > 0;
        if (length > 0 && !encrypted && (read < header.Length || !header.SequenceEqual("SQLite format 3\0"u8)))
        {
            throw new IncompatibleDatabaseException(Errors.NotADatabaseHeader(dataSource, length));
        }
    }

    /// <summary>Runs the missing migrations in one IMMEDIATE transaction; another process may be doing the same.</summary>
    public static void Migrate(SqliteConnection connection, SqlText sql, ILogger logger)
    {
        using var transaction = connection.BeginTransaction();
        var version = Convert.ToInt32(ConnectionFactory.Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        if (version > LatestVersion)
        {
            throw new IncompatibleDatabaseException(Errors.SchemaTooNew(connection.DataSource, version, LatestVersion));
        }

        // Several prefixes may share one file, each at its own version, while user_version is the file's highest:
        // a prefix's version is the last migration whose first table it has.
        version = Math.Min(version, PrefixVersion(connection, transaction, sql));
        var applied = 0;
        foreach (var (migrationVersion, script) in Migrations)
        {
            if (migrationVersion <= version)
            {
                continue;
            }

            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = SqlText.Render(script, sql.Prefix);
            command.ExecuteNonQuery();
            applied = migrationVersion;
        }

        if (applied > 0)
        {
            using var setVersion = connection.CreateCommand();
            setVersion.Transaction = transaction;

            // PRAGMA takes no parameters; the value is this library's own integer.
            setVersion.CommandText = "PRAGMA user_version = " + Math.Max(applied, version).ToString(CultureInfo.InvariantCulture) + ";";
            setVersion.ExecuteNonQuery();
            transaction.Commit();
            logger.SchemaMigrated(connection.DataSource, sql.Prefix, applied);
        }
        else
        {
            transaction.Commit();
        }
    }

    /// <summary>The schema version of the tables with <paramref name="sql"/>'s prefix: the last migration whose first table exists. Reads only.</summary>
    public static int PrefixVersion(SqliteConnection connection, SqliteTransaction? transaction, SqlText sql)
    {
        var version = 0;
        foreach (var (migrationVersion, script) in Migrations)
        {
            using var exists = connection.CreateCommand();
            exists.Transaction = transaction;
            exists.CommandText = sql[JobSql.QueueTableExists];
            exists.Parameters.AddWithValue("@name", sql.Prefix + FirstTable(script));
            if (Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
            {
                break;
            }

            version = migrationVersion;
        }

        return version;
    }

    private static string FirstTable(string script)
    {
        const string Create = "CREATE TABLE {prefix}";
        var start = script.IndexOf(Create, StringComparison.Ordinal) + Create.Length;
        var end = start;
        while (end < script.Length && (char.IsAsciiLetterOrDigit(script[end]) || script[end] == '_'))
        {
            end++;
        }

        return script[start..end];
    }

    private static List<(int, string)> LoadMigrations()
    {
        var assembly = typeof(Migrator).Assembly;
        const string Prefix = "SqliteQueue.Migrations.";
        var list = new List<(int, string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var file = name[Prefix.Length..];
            var version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            list.Add((version, reader.ReadToEnd()));
        }

        return list;
    }
}
