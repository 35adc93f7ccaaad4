using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// What a caller sees of a failure inside the store: SQLite's own errors become the library's exceptions (with
/// SQLite's as the inner one), so no raw driver exception reaches the caller; the library's own pass through.
/// </summary>
internal static class StoreErrors
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoError = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteNotADatabase = 26;

    /// <summary>The file is locked by another connection: the whole write is retried.</summary>
    public static bool IsBusy(SqliteException ex) => ex.SqliteErrorCode is SqliteBusy or SqliteLocked;

    public static Exception Translate(Exception ex, string dataSource) => ex switch
    {
        SqliteException { SqliteErrorCode: SqliteFull or SqliteIoError or SqliteReadOnly or SqliteCantOpen or SqliteCorrupt or SqliteNotADatabase } sqlite
            => new QueueStorageException(Errors.StorageFailed(dataSource, sqlite.SqliteErrorCode, sqlite.Message), sqlite),
        SqliteException sqlite when IsBusy(sqlite) => new QueueBusyException(Errors.Busy(dataSource, 1), sqlite),
        SqliteException sqlite => new SqliteQueueException(Errors.StoreFailed(dataSource, sqlite.SqliteErrorCode, sqlite.Message), sqlite),
        _ => ex,
    };
}
