using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// Reading the queue's statistics from a file that keeps <see cref="Finished"/> finished jobs (1,000, 200,000 or
/// 1,000,000) beside a small live backlog: <see cref="IQueueClient.GetStatsAsync"/> and
/// <see cref="IQueueClient.CountActiveAsync"/>, against, as the baseline, the statistics SQL of schema 2 (every
/// state counted from the jobs table, completed ones by a scan) run on a plain connection.
/// </summary>
/// <remarks>
/// <para>
/// The file: the queue creates it (its own migrations, so the counts table and its triggers are the shipped ones),
/// then <see cref="StatsData.Fill"/> writes the rows directly with <c>INSERT ... SELECT</c>. The insert trigger keeps
/// the counts table exact during the fill, as it would for jobs written one by one; the fill checks them against a
/// scan. The file is built once per benchmark process and only read afterwards.
/// </para>
/// <para>
/// Both the baseline and <see cref="NewStatsSql"/> run what <c>GetStatsAsync</c> runs in one deferred read
/// transaction: the per-queue, per-state counts and the runnable count and oldest run time per queue. Only the count
/// statement differs: schema 2's (<see cref="OldCountByQueueAndState"/>, copied from that version's <c>JobSql</c>) or
/// the current <c>JobSql.CountByQueueAndState</c>. So the raw pair shows the query change alone, and
/// <c>GetStatsAsync</c> next to <see cref="NewStatsSql"/> shows what the library adds to it.
/// </para>
/// </remarks>
[MemoryDiagnoser]
public class StatsBenchmarks
{
    /// <summary>
    /// <c>JobSql.CountByQueueAndState</c> as schema 2 shipped it: each state counted through its own partial index
    /// where it has one, completed jobs by a scan of the table.
    /// </summary>
    public const string OldCountByQueueAndState = """
        SELECT queue AS Queue, 'pending' AS State, COUNT(*) AS Count FROM {prefix}jobs WHERE state = 'pending' GROUP BY queue
        UNION ALL
        SELECT queue, 'running', COUNT(*) FROM {prefix}jobs WHERE state = 'running' GROUP BY queue
        UNION ALL
        SELECT queue, 'dead', COUNT(*) FROM {prefix}jobs WHERE state = 'dead' GROUP BY queue
        UNION ALL
        SELECT queue, 'cancelled', COUNT(*) FROM {prefix}jobs WHERE state = 'cancelled' GROUP BY queue
        UNION ALL
        SELECT queue, 'completed', COUNT(*) FROM {prefix}jobs WHERE state = 'completed' GROUP BY queue;
        """;

    private string _path = "";
    private SqliteJobQueue? _queue;
    private SqliteConnection? _raw;
    private SqliteCommand? _rawCount;
    private SqliteCommand? _rawRunnable;

    /// <summary>Finished jobs in the file (<see cref="BenchmarkData.DepthsVariable"/> can replace the set).</summary>
    [ParamsSource(nameof(Depths))]
    public int Finished { get; set; } = 1_000;

    public static IEnumerable<int> Depths() => StatsData.Depths();

    [GlobalSetup(Targets = [nameof(GetStatsAsync), nameof(CountActiveAsync)])]
    public void SetupQueue()
    {
        _path = StatsData.CreateFile(Finished);
        _queue = BenchmarkData.OpenQueue(_path);
        var stats = GetStatsAsync().GetAwaiter().GetResult();
        var finished = stats.Queues.Sum(q => q.Completed + q.Dead + q.Cancelled);
        if (finished != Finished)
        {
            throw new InvalidOperationException($"GetStatsAsync reports {finished} finished jobs, expected {Finished}.");
        }
    }

    [GlobalSetup(Target = nameof(OldStatsSql))]
    public void SetupOldSql() => SetupRaw(OldCountByQueueAndState);

    [GlobalSetup(Target = nameof(NewStatsSql))]
    public void SetupNewSql() => SetupRaw(JobSql.CountByQueueAndState);

    /// <summary>Schema 2's statistics SQL: the jobs table scanned for the completed count.</summary>
    [Benchmark(Baseline = true)]
    public long OldStatsSql() => RunRawStats();

    /// <summary>The current statistics SQL: finished counts read from the counts table.</summary>
    [Benchmark]
    public long NewStatsSql() => RunRawStats();

    [Benchmark]
    public Task<QueueStats> GetStatsAsync() => _queue!.Client.GetStatsAsync();

    /// <summary>Pending plus running jobs over every queue: two counts over partial indexes, untouched by this schema.</summary>
    [Benchmark]
    public Task<long> CountActiveAsync() => _queue!.Client.CountActiveAsync();

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawCount?.Dispose();
        _rawRunnable?.Dispose();
        _raw?.Dispose();
        _queue?.Dispose();
        BenchmarkData.DeleteDatabase(_path);
    }

    private void SetupRaw(string countSql)
    {
        _path = StatsData.CreateFile(Finished);
        _raw = BenchmarkData.OpenRawConnection(_path);
        _rawCount = _raw.CreateCommand();
        _rawCount.CommandText = SqlText.Render(countSql, BenchmarkData.Prefix);
        _rawCount.Prepare();
        _rawRunnable = _raw.CreateCommand();
        _rawRunnable.CommandText = SqlText.Render(JobSql.RunnableByQueue, BenchmarkData.Prefix);
        _rawRunnable.Parameters.Add(new SqliteParameter("@now", 0L));
        _rawRunnable.Prepare();

        // Both statements must count every job once, or the comparison would be between different answers.
        var total = RunRawStats();
        var expected = StatsData.TotalJobs(Finished);
        if (total != expected)
        {
            throw new InvalidOperationException($"The statistics SQL counted {total} jobs, expected {expected}.");
        }
    }

    /// <summary>Both statements in one deferred read transaction, every returned column read, as GetStatsAsync reads them.</summary>
    private long RunRawStats()
    {
        using var tx = _raw!.BeginTransaction(deferred: true);
        long total = 0;
        _rawCount!.Transaction = tx;
        using (var reader = _rawCount.ExecuteReader())
        {
            while (reader.Read())
            {
                _ = reader.GetString(0);
                _ = reader.GetString(1);
                total += reader.GetInt64(2);
            }
        }

        _rawRunnable!.Transaction = tx;
        _rawRunnable.Parameters[0].Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (var reader = _rawRunnable.ExecuteReader())
        {
            while (reader.Read())
            {
                _ = reader.GetString(0);
                _ = reader.GetInt64(1);
                _ = reader.GetInt64(2);
            }
        }

        tx.Commit();
        return total;
    }
}

/// <summary>The file <see cref="StatsBenchmarks"/> reads: a long history of finished jobs and a small live backlog.</summary>
internal static class StatsData
{
    /// <summary>The finished-job counts the statistics benchmarks run at, unless <see cref="BenchmarkData.DepthsVariable"/> names others.</summary>
    public static readonly int[] DefaultDepths = [1_000, 200_000, 1_000_000];

    /// <summary>Pending jobs, a tenth of them not yet due, so the runnable count differs from the pending one.</summary>
    public const int Pending = 1_000;

    /// <summary>Running jobs, leased far into the future so nothing rescues them.</summary>
    public const int Running = 16;

    /// <summary>The finished jobs and the backlog are spread over these in turn.</summary>
    public static readonly string[] Queues = [QueueNames.Default, "emails", "reports", "webhooks"];

    /// <summary>
    /// The CI smoke's depth variable applies here too, so its <c>1000</c> builds no large file; a full run gets
    /// 200,000 rather than the claim benchmarks' 100,000 because that is where the scan's cost was first measured.
    /// </summary>
    public static IEnumerable<int> Depths() =>
        string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(BenchmarkData.DepthsVariable))
            ? DefaultDepths
            : BenchmarkData.Depths();

    public static long TotalJobs(int finished) => finished + Pending + Running;

    /// <summary>
    /// Builds a new file with <paramref name="finished"/> finished jobs (one in 100 dead, one in 200 cancelled, the
    /// rest completed, with the columns a completion writes), then the live backlog, and returns its path.
    /// </summary>
    public static string CreateFile(int finished)
    {
        var path = BenchmarkData.NewDatabasePath();
        using (var queue = new SqliteJobQueue(BenchmarkData.QueueOptions(path)))
        {
            queue.InitializeAsync().GetAwaiter().GetResult();
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var connection = BenchmarkData.OpenRawConnection(path);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var p = BenchmarkData.Prefix;
        using var fill = connection.CreateCommand();
        fill.CommandText = $$"""
            WITH RECURSIVE n(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @to)
            INSERT INTO {{p}}jobs (queue, type, payload, priority, state, run_at, attempt, max_attempts, timeout_ms,
                                   dedup_key, lease_owner, last_error, created_at, started_at, finished_at)
            SELECT CASE i % 4 WHEN 0 THEN @q0 WHEN 1 THEN @q1 WHEN 2 THEN @q2 ELSE @q3 END, @type,
                   printf('{"orderId":"ord-%08d","customer":"customer-%05d@example.com","sku":"SKU-%05d-XL","quantity":%d,"note":"leave at the door"}',
                          i, i % 9973, i % 50000, 1 + (i % 7)),
                   i % 5,
                   CASE WHEN i % 100 = 7 THEN 'dead' WHEN i % 200 = 13 THEN 'cancelled' ELSE 'completed' END,
                   @past + i, CASE WHEN i % 100 = 7 THEN 5 ELSE 1 END, 5, NULL, NULL, 'bench-worker',
                   CASE WHEN i % 100 = 7 THEN 'System.TimeoutException: the carrier did not answer' END,
                   @past + i, @past + i + 5, @past + i + 20
            FROM n;
            """;
        for (var q = 0; q < Queues.Length; q++)
        {
            fill.Parameters.AddWithValue($"@q{q}", Queues[q]);
        }

        fill.Parameters.AddWithValue("@type", BenchmarkData.JobType);
        fill.Parameters.AddWithValue("@past", now - (30L * 24 * 3600 * 1000));
        BenchmarkData.FillInBatches(connection, fill, finished);
        using (var tx = connection.BeginTransaction())
        {
            using var live = connection.CreateCommand();
            live.Transaction = tx;
            live.CommandText = $$"""
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @pending + @running)
                INSERT INTO {{p}}jobs (queue, type, payload, priority, state, run_at, attempt, max_attempts,
                                       lease_owner, lease_token, lease_expires_at, created_at, started_at)
                SELECT CASE i % 4 WHEN 0 THEN @q0 WHEN 1 THEN @q1 WHEN 2 THEN @q2 ELSE @q3 END, @type,
                       printf('{"orderId":"new-%08d","customer":"customer-%05d@example.com","sku":"SKU-%05d-XL","quantity":%d,"note":"leave at the door"}',
                              i, i % 9973, i % 50000, 1 + (i % 7)),
                       i % 5,
                       CASE WHEN i < @pending THEN 'pending' ELSE 'running' END,
                       CASE WHEN i < @pending AND i % 10 = 9 THEN @now + 3600000 ELSE @now - i END,
                       CASE WHEN i < @pending THEN 0 ELSE 1 END, 5,
                       CASE WHEN i < @pending THEN NULL ELSE 'bench-worker' END,
                       CASE WHEN i < @pending THEN NULL ELSE i END,
                       CASE WHEN i < @pending THEN NULL ELSE @now + 86400000 END,
                       @now - i,
                       CASE WHEN i < @pending THEN NULL ELSE @now END
                FROM n;
                """;
            for (var q = 0; q < Queues.Length; q++)
            {
                live.Parameters.AddWithValue($"@q{q}", Queues[q]);
            }

            live.Parameters.AddWithValue("@type", BenchmarkData.JobType);
            live.Parameters.AddWithValue("@pending", Pending);
            live.Parameters.AddWithValue("@running", Running);
            live.Parameters.AddWithValue("@now", now);
            live.ExecuteNonQuery();
            tx.Commit();
        }

        // No ANALYZE: the library never runs it, so the planner sees what it sees in use.
        BenchmarkData.Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");

        // The triggers kept the counts during the fill; a scan must agree, or the new query would read wrong figures.
        var kept = BenchmarkData.Scalar(connection, $"SELECT COALESCE(SUM(n), 0) FROM {p}counts;");
        var scanned = BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}jobs WHERE state IN ('completed', 'dead', 'cancelled');");
        if (kept != finished || scanned != finished)
        {
            throw new InvalidOperationException($"Built {scanned} finished jobs with {kept} in the counts table, expected {finished}.");
        }

        Console.WriteLine($"// built {finished:N0} finished + {Pending + Running:N0} live jobs in {watch.Elapsed.TotalSeconds:F1} s ({new FileInfo(path).Length / (1024 * 1024):N0} MiB)");
        return path;
    }
}
