using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Benchmarks;

/// <summary>A typical small job payload: about 100 bytes of JSON with the queue's default (web) serializer options.</summary>
/// <param name="OrderId">An order number.</param>
/// <param name="Customer">A customer e-mail address.</param>
/// <param name="Sku">A stock-keeping unit.</param>
/// <param name="Quantity">How many.</param>
/// <param name="Note">A short free-text note.</param>
public sealed record OrderPayload(string OrderId, string Customer, string Sku, int Quantity, string Note);

/// <summary>What every benchmark shares: the job shape, the file handling, and the raw-connection setup.</summary>
internal static class BenchmarkData
{
    public const string Prefix = "queue_";
    public const string JobType = "orders.ship";
    public const int QueueDepth = 100_000;
    public const int FillBatch = 1_000;

    /// <summary>The queue depths the claim benchmarks run at, unless <see cref="DepthsVariable"/> names others.</summary>
    public static readonly int[] DefaultDepths = [1_000, 100_000, 1_000_000];

    /// <summary>
    /// A comma-separated list of depths (for example <c>1000</c>) that replaces <see cref="DefaultDepths"/>; CI's
    /// dry run sets it so no 1,000,000-job file is built. <c>--depths 1000</c> on the command line sets it too.
    /// </summary>
    public const string DepthsVariable = "SQLITEQUEUE_BENCH_DEPTHS";

    /// <summary>Rows per INSERT ... SELECT and per transaction when a file is filled directly.</summary>
    private const int BulkBatch = 100_000;

    public static IEnumerable<int> Depths()
    {
        var text = Environment.GetEnvironmentVariable(DepthsVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultDepths;
        }

        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.Parse(t.Replace("_", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
    }

    /// <summary>Jobs get priorities 0..4 in turn, so the Priority and WeightedRandom strategies have classes to choose from.</summary>
    public const int PriorityClasses = 5;

    public static OrderPayload Payload(int i) =>
        new($"ord-{i:D8}", $"customer-{i % 9973:D5}@example.com", $"SKU-{i % 50_000:D5}-XL", 1 + (i % 7), "leave at the door");

    public static string PayloadJson(int i, SqliteQueueOptions options) =>
        System.Text.Json.JsonSerializer.Serialize(Payload(i), options.JsonSerializerOptions);

    public static string NewDatabasePath() =>
        Path.Combine(Path.GetTempPath(), $"sqlitequeue-bench-{Guid.NewGuid():N}.db");

    public static SqliteQueueOptions QueueOptions(string path) => new() { ConnectionString = $"Data Source={path}" };

    /// <summary>
    /// Builds a new file holding <paramref name="depth"/> pending jobs and returns its path. The queue creates the file
    /// and its schema (its own migrations, so the tables, indexes and schema version are exactly the library's); the
    /// rows are then written directly, in transactions of 100,000 rows, each one <c>INSERT ... SELECT</c> over a
    /// counter: job <c>i</c> (0-based) has the payload <see cref="PayloadJson"/> would give, priority <c>i % 5</c>,
    /// the default queue and one common <c>run_at</c>, so FIFO order is id order, as after enqueues in a row.
    /// Building 1,000,000 jobs this way takes seconds rather than minutes through the API.
    /// </summary>
    public static string CreatePendingFile(int depth)
    {
        var path = NewDatabasePath();
        using (var queue = new SqliteJobQueue(QueueOptions(path)))
        {
            queue.InitializeAsync().GetAwaiter().GetResult();
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var connection = OpenRawConnection(path);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var fill = connection.CreateCommand();
        fill.CommandText = $$"""
            WITH RECURSIVE n(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @to)
            INSERT INTO {{Prefix}}jobs (queue, type, payload, priority, state, run_at, max_attempts, timeout_ms, dedup_key, created_at)
            SELECT @queue, @type,
                   printf('{"orderId":"ord-%08d","customer":"customer-%05d@example.com","sku":"SKU-%05d-XL","quantity":%d,"note":"leave at the door"}',
                          i, i % 9973, i % 50000, 1 + (i % 7)),
                   i % {{PriorityClasses}}, 'pending', @now, 5, NULL, NULL, @now
            FROM n;
            """;
        fill.Parameters.AddWithValue("@queue", QueueNames.Default);
        fill.Parameters.AddWithValue("@type", JobType);
        fill.Parameters.AddWithValue("@now", now);
        FillInBatches(connection, fill, depth);
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");

        // The SQL text must write what the serializer writes, so the queue and the baseline read the same bytes.
        var options = new SqliteQueueOptions();
        foreach (var i in new[] { 0, depth / 2, depth - 1 })
        {
            using var check = connection.CreateCommand();
            check.CommandText = $"SELECT payload FROM {Prefix}jobs WHERE id = {i + 1};";
            var stored = (string)check.ExecuteScalar()!;
            if (stored != PayloadJson(i, options))
            {
                throw new InvalidOperationException($"Bulk payload {i} is {stored}, expected {PayloadJson(i, options)}.");
            }
        }

        var count = Scalar(connection, $"SELECT COUNT(*) FROM {Prefix}jobs WHERE state = 'pending';");
        if (count != depth)
        {
            throw new InvalidOperationException($"Built {count} pending jobs, expected {depth}.");
        }

        Console.WriteLine($"// built {depth:N0} pending jobs in {watch.Elapsed.TotalSeconds:F1} s ({new FileInfo(path).Length / (1024 * 1024):N0} MiB)");
        return path;
    }

    /// <summary>
    /// Opens the queue over an existing file (its migrations find the schema current) and initializes it; with
    /// <paramref name="time"/> as its clock when given.
    /// </summary>
    public static SqliteJobQueue OpenQueue(string path, TimeProvider? time = null, Action<SqliteQueueOptions>? configure = null)
    {
        var options = QueueOptions(path);
        configure?.Invoke(options);
        var queue = new SqliteJobQueue(options, time);
        queue.InitializeAsync().GetAwaiter().GetResult();
        return queue;
    }

    /// <summary>
    /// Opens a plain connection with the same PRAGMAs the queue's writer uses (WAL, synchronous=NORMAL); over a new
    /// file it first creates the queue's own schema (its migration script, so the table and every index are the same).
    /// </summary>
    public static SqliteConnection OpenRawConnection(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 5000;");
        Execute(connection, "PRAGMA journal_mode = WAL;");
        Execute(connection, "PRAGMA synchronous = NORMAL;");
        Execute(connection, "PRAGMA foreign_keys = ON;");
        Execute(connection, "PRAGMA journal_size_limit = 67108864;");
        if (Scalar(connection, $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{Prefix}jobs';") > 0)
        {
            return connection;
        }

        using (var tx = connection.BeginTransaction())
        {
            using var ddl = connection.CreateCommand();
            ddl.Transaction = tx;
            foreach (var (_, script) in Migrator.Migrations)
            {
                ddl.CommandText = SqlText.Render(script, Prefix);
                ddl.ExecuteNonQuery();
            }
            tx.Commit();
        }

        return connection;
    }

    /// <summary>The raw insert: the same statement text the queue runs, prepared once and reused.</summary>
    public static SqliteCommand PrepareRawInsert(SqliteConnection connection)
    {
        var insert = connection.CreateCommand();
        insert.CommandText = SqlText.Render(JobSql.Enqueue, Prefix);
        foreach (var name in new[] { "@queue", "@type", "@payload", "@priority", "@run_at", "@max_attempts", "@timeout_ms", "@dedup_key", "@now", "@trace_parent", "@trace_state" })
        {
            insert.Parameters.Add(new SqliteParameter(name, null));
        }

        insert.Parameters["@queue"].Value = QueueNames.Default;
        insert.Parameters["@type"].Value = JobType;
        insert.Parameters["@max_attempts"].Value = 5;
        insert.Parameters["@timeout_ms"].Value = DBNull.Value;
        insert.Parameters["@dedup_key"].Value = DBNull.Value;
        insert.Parameters["@trace_parent"].Value = DBNull.Value;
        insert.Parameters["@trace_state"].Value = DBNull.Value;
        insert.Prepare();
        return insert;
    }

    public static long RawInsert(SqliteCommand insert, string payload, int priority, long now)
    {
        var p = insert.Parameters;
        p["@payload"].Value = payload;
        p["@priority"].Value = priority;
        p["@run_at"].Value = now;
        p["@now"].Value = now;
        return (long)insert.ExecuteScalar()!;
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    public static void DeleteDatabase(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }

        // The wake-up file's folder (see SqliteQueueOptions.CrossProcessWake).
        if (Directory.Exists(path + "-wake"))
        {
            Directory.Delete(path + "-wake", recursive: true);
        }
    }

    /// <summary>Runs un-timed set-up SQL through the store's own write path, then checkpoints the file so runs start alike.</summary>
    internal static void ExecuteThroughStore(SqliteJobQueue queue, string path, string sql)
    {
        queue.SqliteStore.WriteAsync(sql, static (_, tx, text) =>
        {
            Execute(tx!.Connection!, text, tx);
            return 0;
        }, CancellationToken.None).GetAwaiter().GetResult();
        using var checkpoint = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        checkpoint.Open();
        Execute(checkpoint, "PRAGMA wal_checkpoint(TRUNCATE);");
    }

    /// <summary>
    /// Runs <paramref name="fill"/>, a statement over the row numbers <c>@from</c> (inclusive) to <c>@to</c> (exclusive),
    /// for rows 0 to <paramref name="rows"/> in transactions of <see cref="BulkBatch"/> rows.
    /// </summary>
    public static void FillInBatches(SqliteConnection connection, SqliteCommand fill, int rows)
    {
        var from = fill.Parameters.AddWithValue("@from", 0);
        var to = fill.Parameters.AddWithValue("@to", 0);
        for (var start = 0; start < rows; start += BulkBatch)
        {
            using var tx = connection.BeginTransaction();
            fill.Transaction = tx;
            from.Value = start;
            to.Value = Math.Min(rows, start + BulkBatch);
            fill.ExecuteNonQuery();
            tx.Commit();
        }

        fill.Transaction = null;
    }
}
