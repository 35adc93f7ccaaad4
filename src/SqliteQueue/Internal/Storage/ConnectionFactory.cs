using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>Turns the user's connection string into the one the store opens, and opens connections with the queue's PRAGMAs.</summary>
internal sealed class ConnectionFactory : IDisposable
{
    private SqliteConnection? _keepAlive;

    public ConnectionFactory(SqliteQueueOptions options)
    {
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        IsMemory = builder.Mode == SqliteOpenMode.Memory
            || builder.DataSource.Length == 0
            || builder.DataSource == ":memory:"
            || builder.DataSource.Contains("mode=memory", StringComparison.OrdinalIgnoreCase);

        // Microsoft.Data.Sqlite answers SQLITE_BUSY by sleeping 150 ms in a loop until this many seconds pass.
        // SQLite's busy handler (installed through BusyWait) does the waiting instead, and the store retries asynchronously after it.
        builder.DefaultTimeout = 1;
        ConnectionString = builder.ToString();
        DataSource = builder.DataSource;
        BusyTimeoutMs = (int)options.BusyTimeout.TotalMilliseconds;
        Synchronous = options.Synchronous;
        CacheSizeKiB = options.CacheSizeKiB;
        WalAutoCheckpointPages = options.WalAutoCheckpointPages;
        JournalSizeLimitBytes = options.JournalSizeLimitBytes;
        MmapSizeBytes = options.MmapSizeBytes;

        // PRAGMAs take no parameters; these are validated integers, formatted invariantly.
        _readerPragmas = MmapSizeBytes == 0 ? null : $"PRAGMA mmap_size = {Invariant(MmapSizeBytes)};";

        if (IsMemory)
        {
            // A shared memory database lives only while a connection to it is open, and the writer opens on first
            // use: without this one, tables the application creates in it before then (or between its own
            // connections) would vanish. Held, unpooled and idle, until the store is disposed.
            _keepAlive = new SqliteConnection(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ToString());
            try
            {
                _keepAlive.Open();
            }
            catch
            {
                _keepAlive.Dispose();
                throw;
            }
        }
    }

    public string ConnectionString { get; }

    public string DataSource { get; }

    /// <summary>
    /// A memory database exists per connection (or per shared cache); reads then share the writer's connection
    /// instead of opening their own, and WAL does not apply. Everything else is the same code.
    /// </summary>
    public bool IsMemory { get; }

    public int BusyTimeoutMs { get; }

    public SynchronousMode Synchronous { get; }

    public int CacheSizeKiB { get; }

    public int WalAutoCheckpointPages { get; }

    public long JournalSizeLimitBytes { get; }

    public long MmapSizeBytes { get; }

    private readonly string? _readerPragmas;

    /// <summary>Opens a connection that waits for another process's lock with the store's busy handler (<see cref="BusyWait"/>), and nothing else set.</summary>
    public SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            connection.Open();

            // A pooled connection comes back with whatever handler its last user left; it is installed on every open.
            BusyWait.Install(connection, BusyTimeoutMs);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens a short-lived reader. WAL lets it run beside the writer.</summary>
    public SqliteConnection OpenReader()
    {
        var connection = OpenRaw();
        if (_readerPragmas is null)
        {
            return connection;
        }

        try
        {
            Execute(connection, _readerPragmas);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The writer's PRAGMAs, applied only after the file was checked, so a refused file is never touched.</summary>
    public void ApplyWriterPragmas(SqliteConnection connection)
    {
        // The busy handler is already installed (OpenRaw); PRAGMA busy_timeout here would replace the store's own when it is chosen.

        // Free pages can then be given back in small steps after a prune, without rebuilding the file. It only takes
        // before the first table is created: an existing file keeps its mode until a full VACUUM converts it.
        if (Scalar(connection, "SELECT COUNT(*) FROM sqlite_schema;") == "0")
        {
            Execute(connection, "PRAGMA auto_vacuum = INCREMENTAL;");
        }

        if (!IsMemory)
        {
            var mode = Scalar(connection, "PRAGMA journal_mode = WAL;");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new SqliteQueueException($"The queue database '{DataSource}' could not be switched to WAL mode (it reports '{mode}').");
            }
        }

        // This SQLite build defaults WAL to FULL, so NORMAL has to be asked for explicitly.
        Execute(connection, Synchronous == SynchronousMode.Full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;");
        Execute(connection, "PRAGMA foreign_keys = ON;");

        // The writer's temporary b-trees (IN lists, RETURNING, statement journals) stay in memory: on a temporary
        // file each cost a multi-row UPDATE about 100 us, more than the rows. They hold a few rows; VACUUM, whose
        // temporary copy is the whole file, asks for a file (see FileCare.VacuumAsync).
        Execute(connection, "PRAGMA temp_store = MEMORY;");
        Execute(connection, $"PRAGMA journal_size_limit = {Invariant(JournalSizeLimitBytes)};");

        // The default 2 MB page cache makes every write past a few thousand jobs fetch index pages from the OS;
        // the default 32 MB holds the hot parts of the indexes of millions of jobs. Negative means KiB.
        Execute(connection, $"PRAGMA cache_size = {Invariant(-(long)CacheSizeKiB)};");
        Execute(connection, $"PRAGMA mmap_size = {Invariant(MmapSizeBytes)};");
        if (!IsMemory)
        {
            // The store checkpoints from its own connection well before this; this is only the backstop (0: none).
            Execute(connection, $"PRAGMA wal_autocheckpoint = {Invariant(WalAutoCheckpointPages)};");
        }
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Lets a memory database go: the store is being disposed and has closed its own connections.</summary>
    public void Dispose()
    {
        _keepAlive?.Dispose();
        _keepAlive = null;
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    public static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
