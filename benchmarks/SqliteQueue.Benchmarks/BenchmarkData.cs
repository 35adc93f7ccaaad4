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

    /// <summary>Jobs get priorities 0..4 in turn, so the Priority and WeightedRandom strategies have classes to choose from.</summary>
    public const int PriorityClasses = 5;

    public static OrderPayload Payload(int i) =>
        new($"ord-{i:D8}", $"customer-{i % 9973:D5}@example.com", $"SKU-{i % 50_000:D5}-XL", 1 + (i % 7), "leave at the door");

    public static string PayloadJson(int i, SqliteQueueOptions options) =>
        System.Text.Json.JsonSerializer.Serialize(Payload(i), options.JsonSerializerOptions);

    public static string NewDatabasePath() =>
        Path.Combine(Path.GetTempPath(), $"sqlitequeue-bench-{Guid.NewGuid():N}.db");

    public static SqliteQueueOptions QueueOptions(string path) => new() { ConnectionString = $"Data Source={path}" };

    /// <summary>Opens a queue over a new file and fills it with <see cref="QueueDepth"/> pending jobs through the public API.</summary>
    public static async Task<SqliteJobQueue> OpenFilledQueueAsync(string path)
    {
        var queue = new SqliteJobQueue(QueueOptions(path));
        await queue.InitializeAsync();
        for (var start = 0; start < QueueDepth; start += FillBatch)
        {
            var jobs = new List<NewJob>(FillBatch);
            for (var i = start; i < start + FillBatch; i++)
            {
                jobs.Add(new NewJob(JobType, PayloadJson(i, queue.Store.Options), new EnqueueOptions { Priority = i % PriorityClasses }));
            }

            await queue.Client.EnqueueManyAsync(jobs);
        }

        return queue;
    }

    /// <summary>
    /// Opens a plain connection over a new file with the queue's own schema (its migration script, so the table and
    /// every index are the same) and the same PRAGMAs the queue's writer uses: WAL, synchronous=NORMAL.
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
        using (var tx = connection.BeginTransaction())
        {
            using var ddl = connection.CreateCommand();
            ddl.Transaction = tx;
            ddl.CommandText = SqlText.Render(Migrator.Migrations[0].Script, Prefix);
            ddl.ExecuteNonQuery();
            tx.Commit();
        }

        return connection;
    }

    /// <summary>The raw insert: the same statement text the queue runs, prepared once and reused.</summary>
    public static SqliteCommand PrepareRawInsert(SqliteConnection connection)
    {
        var insert = connection.CreateCommand();
        insert.CommandText = SqlText.Render(JobSql.Enqueue, Prefix);
        foreach (var name in new[] { "@queue", "@type", "@payload", "@priority", "@run_at", "@max_attempts", "@timeout_ms", "@dedup_key", "@now" })
        {
            insert.Parameters.Add(new SqliteParameter(name, null));
        }

        insert.Parameters["@queue"].Value = QueueNames.Default;
        insert.Parameters["@type"].Value = JobType;
        insert.Parameters["@max_attempts"].Value = 5;
        insert.Parameters["@timeout_ms"].Value = DBNull.Value;
        insert.Parameters["@dedup_key"].Value = DBNull.Value;
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

    /// <summary>Fills a raw table with the same <see cref="QueueDepth"/> jobs, in transactions of <see cref="FillBatch"/>.</summary>
    public static void FillRaw(SqliteConnection connection, SqliteCommand insert, SqliteQueueOptions options)
    {
        for (var start = 0; start < QueueDepth; start += FillBatch)
        {
            using var tx = connection.BeginTransaction();
            insert.Transaction = tx;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (var i = start; i < start + FillBatch; i++)
            {
                RawInsert(insert, PayloadJson(i, options), i % PriorityClasses, now);
            }

            tx.Commit();
        }

        insert.Transaction = null;
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
    }
}
