using System.Net.Sockets;
using Npgsql;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// What a caller sees of a database failure: Npgsql's and PostgreSQL's errors become the library's exceptions, with
/// the original as the inner one, so no raw driver exception reaches a caller. The library's own pass through.
/// </summary>
internal static class PostgreSqlErrors
{
    private const string SerializationFailure = "40001";
    private const string DeadlockDetected = "40P01";
    private const string LockNotAvailable = "55P03";
    private const string UniqueViolation = "23505";

    /// <summary>A transaction lost a race with another one: running it again whole can succeed.</summary>
    public static bool IsRaceLost(PostgresException ex) => ex.SqlState is SerializationFailure or DeadlockDetected;

    public static bool IsUniqueViolation(PostgresException ex) => ex.SqlState == UniqueViolation;

    /// <summary>An error of the driver or the server, which must be translated before it reaches a caller.</summary>
    public static bool IsDriverError(Exception ex) => ex is NpgsqlException;

    public static Exception Translate(Exception ex, string display) => ex switch
    {
        PostgresException { SqlState: LockNotAvailable or DeadlockDetected or SerializationFailure } pg
            => new QueueBusyException($"The queue database {display} stayed locked by other transactions ({pg.SqlState}: {pg.MessageText}).", pg),
        PostgresException pg when IsUnavailable(pg.SqlState)
            => new QueueStorageException($"The queue database {display} cannot be used now ({pg.SqlState}: {pg.MessageText}). Nothing was applied; the same call succeeds once the server is back.", pg),
        PostgresException pg
            => new SqliteQueueException($"The queue database {display} refused the operation ({pg.SqlState}: {pg.MessageText}).", pg),
        NpgsqlException { InnerException: TimeoutException } npgsql
            => new QueueBusyException($"No connection to the queue database {display} came free in time ({npgsql.Message.TrimEnd('.')}).", npgsql),
        NpgsqlException npgsql
            => new QueueStorageException($"The queue database {display} cannot be reached ({npgsql.Message.TrimEnd('.')}). Nothing was applied; the same call succeeds once the server is back.", npgsql),
        _ => ex,
    };

    // Connection exceptions (08), insufficient resources such as a full disk (53), an operator's intervention such as a
    // shutdown (57, but not a cancel: 57014 is the caller's own), system errors (58) and the server's own failures (XX).
    private static bool IsUnavailable(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal)
        || (state.StartsWith("57", StringComparison.Ordinal) && state != "57014")
        || state.StartsWith("58", StringComparison.Ordinal) || state.StartsWith("XX", StringComparison.Ordinal);

    /// <summary>Whether the listener's connection failed because the server or the network went away (logged quietly).</summary>
    public static bool IsConnectionLoss(Exception ex) => ex is NpgsqlException { InnerException: SocketException or IOException or EndOfStreamException } or NpgsqlException { IsTransient: true };
}
