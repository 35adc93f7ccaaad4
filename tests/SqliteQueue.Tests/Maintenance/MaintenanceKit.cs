using System.Globalization;
using Microsoft.Data.Sqlite;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.Maintenance;

/// <summary>Jobs put into each state through the public API, and the checks the maintenance tests share.</summary>
internal static class MaintenanceKit
{
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    /// <summary>Enqueues <paramref name="count"/> jobs and returns their ids in order.</summary>
    public static async Task<List<long>> PendingAsync(IQueueClient client, int count, string queue = QueueNames.Default, string type = "t", int? maxAttempts = null)
    {
        var jobs = Enumerable.Range(0, count)
            .Select(i => new NewJob(type, string.Create(CultureInfo.InvariantCulture, $"{{\"n\":{i}}}"), new EnqueueOptions { Queue = queue, MaxAttempts = maxAttempts }))
            .ToList();
        return [.. await client.EnqueueManyAsync(jobs)];
    }

    /// <summary>
    /// Enqueues and claims <paramref name="count"/> jobs. The queue must hold no other runnable job, or the claims
    /// would take those instead.
    /// </summary>
    public static async Task<List<ClaimedJob>> RunningAsync(SqliteJobQueue queue, int count, string queueName = QueueNames.Default, string type = "t", int? maxAttempts = null, TimeSpan? lease = null)
    {
        var ids = await PendingAsync(queue.Client, count, queueName, type, maxAttempts);
        var worker = queue.Create(new WorkerOptions { Queues = [queueName], LeaseDuration = lease ?? Lease, WorkerId = "kit" });
        var claimed = new List<ClaimedJob>();
        while (claimed.Count < count)
        {
            var batch = await worker.ClaimAsync(Math.Min(1000, count - claimed.Count));
            batch.Should().NotBeEmpty("the jobs just enqueued are runnable");
            claimed.AddRange(batch);
        }

        claimed.Select(j => j.Id).Should().BeEquivalentTo(ids, "the queue had no other runnable job");
        return claimed;
    }

    public static async Task<List<long>> CompletedAsync(SqliteJobQueue queue, int count, string queueName = QueueNames.Default, string type = "t")
    {
        var claimed = await RunningAsync(queue, count, queueName, type);
        var worker = queue.Create(new WorkerOptions { Queues = [queueName], WorkerId = "kit" });
        (await worker.CompleteManyAsync(claimed)).Should().AllSatisfy(ok => ok.Should().BeTrue());
        return [.. claimed.Select(j => j.Id)];
    }

    public static async Task<List<long>> DeadAsync(SqliteJobQueue queue, int count, string queueName = QueueNames.Default, string type = "t")
    {
        var claimed = await RunningAsync(queue, count, queueName, type);
        var worker = queue.Create(new WorkerOptions { Queues = [queueName], WorkerId = "kit" });
        foreach (var job in claimed)
        {
            (await worker.FailAsync(job, "boom", permanent: true)).State.Should().Be(JobState.Dead);
        }

        return [.. claimed.Select(j => j.Id)];
    }

    public static async Task<List<long>> CancelledAsync(IQueueClient client, int count, string queue = QueueNames.Default, string type = "t")
    {
        var ids = await PendingAsync(client, count, queue, type);
        foreach (var id in ids)
        {
            (await client.CancelAsync(id)).Should().Be(CancelResult.Cancelled);
        }

        return ids;
    }

    /// <summary>
    /// GetStatsAsync, the counts table and a full COUNT(*) over the jobs agree exactly, for every queue and state
    /// (zero counts included: a count left behind for a queue with no such job is a drift too).
    /// </summary>
    public static async Task AssertCountsExactAsync(IQueueClient client, string connectionString, string because = "")
    {
        var stats = await client.GetStatsAsync();
        var reported = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var q in stats.Queues)
        {
            Add(reported, q.Queue, "pending", q.Pending);
            Add(reported, q.Queue, "running", q.Running);
            Add(reported, q.Queue, "completed", q.Completed);
            Add(reported, q.Queue, "dead", q.Dead);
            Add(reported, q.Queue, "cancelled", q.Cancelled);
        }

        using var connection = Open(connectionString);
        var actual = Rows(connection, "SELECT queue, state, COUNT(*) FROM queue_jobs GROUP BY queue, state;");
        var finished = Rows(connection, "SELECT queue, state, COUNT(*) FROM queue_jobs WHERE state IN ('completed', 'dead', 'cancelled') GROUP BY queue, state;");
        var table = Rows(connection, "SELECT queue, state, n FROM queue_counts WHERE n <> 0;");

        reported.Should().BeEquivalentTo(actual, "GetStatsAsync must equal a full count {0}", because);
        table.Should().BeEquivalentTo(finished, "the counts table must equal a full count of finished jobs {0}", because);
    }

    public static SqliteConnection Open(string connectionString)
    {
        var connection = new SqliteConnection(connectionString + ";Pooling=False");
        connection.Open();
        return connection;
    }

    public static long Long(SqliteConnection connection, string sql) =>
        Convert.ToInt64(Scalar(connection, sql), CultureInfo.InvariantCulture);

    public static long Long(TestDatabase db, string sql)
    {
        using var connection = db.Raw();
        return Long(connection, sql);
    }

    public static string Ids(IEnumerable<long> ids) => string.Join(",", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));

    public static long WalBytes(string databasePath)
    {
        var wal = new FileInfo(databasePath + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    private static void Add(SortedSet<string> set, string queue, string state, long n)
    {
        if (n != 0)
        {
            set.Add(Row(queue, state, n));
        }
    }

    private static string Row(string queue, string state, long n) => string.Create(CultureInfo.InvariantCulture, $"{queue}/{state}={n}");

    private static SortedSet<string> Rows(SqliteConnection connection, string sql)
    {
        var rows = new SortedSet<string>(StringComparer.Ordinal);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(Row(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return rows;
    }
}
