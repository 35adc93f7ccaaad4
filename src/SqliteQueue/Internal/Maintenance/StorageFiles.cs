using System.Globalization;
using Microsoft.Data.Sqlite;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>The queue's files on disk as SQLite names them, and the PRAGMAs that describe them.</summary>
internal static class StorageFiles
{
    /// <summary>The database file SQLite resolved for <paramref name="connection"/>, or null for a memory database.</summary>
    public static string? DatabasePath(SqliteConnection connection)
    {
        var path = SQLitePCL.raw.sqlite3_db_filename(connection.Handle, "main").utf8_to_string();
        return string.IsNullOrEmpty(path) ? null : path;
    }

    public static long Length(string? path)
    {
        if (path is null)
        {
            return 0;
        }

        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }

    public static long WalLength(string? databasePath) => databasePath is null ? 0 : Length(databasePath + "-wal");

    public static long Pragma(SqliteConnection connection, string pragma, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA " + pragma + ";";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Page size, page count and free pages, read together.</summary>
    public static (int PageSize, long Pages, long FreePages) Pages(SqliteConnection connection, SqliteTransaction? transaction = null) =>
        ((int)Pragma(connection, "page_size", transaction), Pragma(connection, "page_count", transaction), Pragma(connection, "freelist_count", transaction));

    public static AutoVacuumMode AutoVacuum(SqliteConnection connection) => (AutoVacuumMode)Pragma(connection, "auto_vacuum");
}
