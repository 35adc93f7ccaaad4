using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SQLitePCL;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// W1, the enqueue rate: one awaited <c>EnqueueAsync</c> per job on one thread, each its own transaction, against
/// baselines that write the same rows (the queue's INSERT, its schema and PRAGMAs) with one transaction per row: the
/// statement prepared once on a plain Microsoft.Data.Sqlite connection, and the bare SQLite C API through SQLitePCLRaw
/// (<c>BEGIN IMMEDIATE</c>, the INSERT and <c>COMMIT</c> all prepared once, the payload bound as UTF-8 text): on a
/// plain file with SQLite's own checkpoints, and with the queue's settings (a file the queue made, with its incremental
/// auto-vacuum, the writer's PRAGMAs, checkpoints from another connection): the engine's limit for this sequence
/// in this process. The baselines serialize their payloads beforehand.
/// </summary>
/// <remarks>
/// Each round writes every variant's jobs to its own new file, in blocks of <see cref="W1Block"/> jobs taken in turn
/// (the order turns every block), so a machine that slows down or speeds up weighs on every variant alike; a
/// variant's rate is its jobs over the time its blocks took. Allocations are those of every thread during its blocks.
/// </remarks>
internal static partial class PeerBenchmark
{
    private const int W1Block = 500;

    /// <summary>
    /// <c>peer-w1 [jobs] [rounds]</c>: only W1, for tuning the enqueue path: every round's figures, then medians and
    /// ratios, then one JSON line.
    /// </summary>
    public static async Task<int> EnqueueOnlyAsync(IReadOnlyList<string> args)
    {
        var jobs = 20_000;
        var rounds = 5;
        if ((args.Count > 0 && !TryPositive(args[0], out jobs)) || (args.Count > 1 && !TryPositive(args[1], out rounds)) || args.Count > 2)
        {
            await Console.Error.WriteLineAsync("usage: peer-w1 [jobs] [rounds]   (W1 only: the queue against the Microsoft.Data.Sqlite and C-API baselines, interleaved)");
            return 2;
        }

        Print($"peer-w1: {jobs:N0} jobs, {rounds} rounds, blocks of {W1Block}; {Environment.ProcessorCount} cores, .NET {Environment.Version}, SQLite {SqliteVersion()}");
        await WarmEnqueueAsync(Math.Min(jobs, 1_000));
        var result = await EnqueueFiguresAsync(jobs, rounds, printRuns: true);
        Console.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
        return 0;
    }

    /// <summary>Every W1 path, small, so the measurements do not include JIT compilation.</summary>
    private static async Task WarmEnqueueAsync(int jobs) => await EnqueueRoundAsync(jobs);

    /// <summary>The W1 figures, each the median of <paramref name="rounds"/> rounds, printed.</summary>
    private static async Task<W1Result> EnqueueFiguresAsync(int jobs, int rounds = Repeats, bool printRuns = false)
    {
        var runs = new List<Rate>[W1Variants.Length];
        for (var v = 0; v < runs.Length; v++)
        {
            runs[v] = new List<Rate>(rounds);
        }

        for (var round = 0; round < rounds; round++)
        {
            var rates = await EnqueueRoundAsync(jobs);
            for (var v = 0; v < rates.Length; v++)
            {
                runs[v].Add(rates[v]);
                if (printRuns)
                {
                    Print($"round {round + 1} {W1Variants[v],-24} {rates[v].JobsPerSecond,8:N0} jobs/s {rates[v].BytesPerJob,7:N0} B/job");
                }
            }

            if (printRuns)
            {
                Print($"round {round + 1} ratio queue/C API {rates[0].JobsPerSecond / rates[2].JobsPerSecond:F2}, " +
                      $"queue/C API with the queue's settings {rates[0].JobsPerSecond / rates[3].JobsPerSecond:F2}");
            }
        }

        var (lib, raw, capi, aside) = (Median(runs[0]), Median(runs[1]), Median(runs[2]), Median(runs[3]));
        var capiRatio = MedianRatio(runs[0], runs[2]);
        var asideRatio = MedianRatio(runs[0], runs[3]);
        Print($"W1 enqueue, one EnqueueAsync per job, 1 thread: {lib.JobsPerSecond:N0} jobs/s " +
              $"({lib.Seconds:F3} s, {lib.BytesPerJob:N0} B allocated/job; runs {lib.Spread})");
        Print($"W1 raw prepared INSERT, BEGIN IMMEDIATE/COMMIT per row: {raw.JobsPerSecond:N0} jobs/s " +
              $"({raw.Seconds:F3} s, {raw.BytesPerJob:N0} B allocated/job; runs {raw.Spread})");
        Print($"W1 C API (SQLitePCLRaw), prepared BEGIN IMMEDIATE/INSERT/COMMIT per row: {capi.JobsPerSecond:N0} jobs/s " +
              $"({capi.Seconds:F3} s, {capi.BytesPerJob:N0} B allocated/job; runs {capi.Spread})");
        Print($"W1 C API on a file made by the queue, its writer's PRAGMAs, checkpoints aside as the queue's: {aside.JobsPerSecond:N0} jobs/s " +
              $"({aside.Seconds:F3} s, {aside.BytesPerJob:N0} B allocated/job; runs {aside.Spread})");
        Print($"W1 ratio queue/raw (throughput): {MedianRatio(runs[0], runs[1]):F2}");
        Print($"W1 ratio queue/C API (throughput, median of the rounds' ratios): {capiRatio:F2} (against the C API with the queue's settings: {asideRatio:F2})");
        return new W1Result(
            lib.JobsPerSecond, raw.JobsPerSecond, MedianRatio(runs[0], runs[1]), lib.BytesPerJob,
            capi.JobsPerSecond, capiRatio, raw.BytesPerJob, capi.BytesPerJob, aside.JobsPerSecond, asideRatio);
    }

    private static readonly string[] W1Variants = ["queue", "Microsoft.Data.Sqlite", "C API", "C API, queue's settings"];

    private static Rate Median(List<Rate> runs)
    {
        var spread = string.Join(" / ", runs.Select(r => r.JobsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
        return runs.OrderBy(r => r.JobsPerSecond).ElementAt(runs.Count / 2).WithSpread(spread);
    }

    /// <summary>The median over the rounds of one variant's rate over another's in the same round.</summary>
    private static double MedianRatio(List<Rate> a, List<Rate> b)
    {
        var ratios = a.Zip(b, (x, y) => x.JobsPerSecond / y.JobsPerSecond).Order().ToList();
        return ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[(ratios.Count / 2) - 1] + ratios[ratios.Count / 2]) / 2;
    }

    private static bool TryPositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;

    /// <summary>One round: every variant writes <paramref name="jobs"/> jobs to its own new file, block by block in turn.</summary>
    private static async Task<Rate[]> EnqueueRoundAsync(int jobs)
    {
        var options = new SqliteQueueOptions();
        var payloads = Enumerable.Range(0, jobs).Select(BenchmarkData.Payload).ToArray();
        var json = Enumerable.Range(0, jobs).Select(i => BenchmarkData.PayloadJson(i, options)).ToArray();
        var utf8 = json.Select(Encoding.UTF8.GetBytes).ToArray();
        var paths = W1Variants.Select(_ => BenchmarkData.NewDatabasePath()).ToArray();
        SqliteJobQueue? queue = null;
        SqliteConnection? connection = null;
        SqliteCommand? insert = null;
        CApiInsert? capi = null, aside = null;
        try
        {
            queue = new SqliteJobQueue(BenchmarkData.QueueOptions(paths[0]));
            await queue.InitializeAsync();
            var client = queue.Client;
            connection = BenchmarkData.OpenRawConnection(paths[1]);
            insert = BenchmarkData.PrepareRawInsert(connection);
            capi = new CApiInsert(paths[2]);
            aside = new CApiInsert(paths[3], queueSettings: true);
            var (c, r, a) = (capi, (connection, insert), aside);
            var blocks = new Func<int, int, Task>[]
            {
                async (from, to) =>
                {
                    for (var i = from; i < to; i++)
                    {
                        await client.EnqueueAsync(BenchmarkData.JobType, payloads[i]);
                    }
                },
                (from, to) =>
                {
                    for (var i = from; i < to; i++)
                    {
                        using var tx = r.connection.BeginTransaction();
                        r.insert.Transaction = tx;
                        BenchmarkData.RawInsert(r.insert, json[i], 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                        tx.Commit();
                    }

                    return Task.CompletedTask;
                },
                (from, to) =>
                {
                    for (var i = from; i < to; i++)
                    {
                        c.Run(utf8[i], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    }

                    return Task.CompletedTask;
                },
                (from, to) =>
                {
                    for (var i = from; i < to; i++)
                    {
                        a.Run(utf8[i], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                    }

                    return Task.CompletedTask;
                },
            };

            var elapsed = new long[blocks.Length];
            var allocated = new long[blocks.Length];
            StartAllocations();
            for (int from = 0, block = 0; from < jobs; from += W1Block, block++)
            {
                var to = Math.Min(jobs, from + W1Block);
                for (var k = 0; k < blocks.Length; k++)
                {
                    var v = (k + block) % blocks.Length;
                    var bytes = GC.GetTotalAllocatedBytes(true);
                    var started = Stopwatch.GetTimestamp();
                    await blocks[v](from, to);
                    elapsed[v] += Stopwatch.GetTimestamp() - started;
                    allocated[v] += GC.GetTotalAllocatedBytes(true) - bytes;
                }
            }

            insert.Transaction = null;
            return [.. Enumerable.Range(0, blocks.Length).Select(v =>
                new Rate(jobs, Stopwatch.GetElapsedTime(0, elapsed[v]), allocated[v] / (double)jobs))];
        }
        finally
        {
            aside?.Dispose();
            capi?.Dispose();
            insert?.Dispose();
            connection?.Dispose();
            queue?.Dispose();
            foreach (var path in paths)
            {
                BenchmarkData.DeleteDatabase(path);
            }
        }
    }
}

/// <summary>
/// The bare SQLite C-API sequence of one enqueue, through SQLitePCLRaw on its own connection to a file with the
/// queue's schema and the writer's PRAGMAs: <c>BEGIN IMMEDIATE</c>, the queue's INSERT ... RETURNING id, <c>COMMIT</c>,
/// each prepared once; the row's values are the queue's (default queue, the benchmark type, priority 0, run-at and
/// created-at now, 5 attempts, no timeout, key or trace context). By default the file is made as the other baseline's
/// and SQLite checkpoints the WAL inside the commit that crosses 1,000 pages. With <c>queueSettings</c> the file is
/// made by the queue (its migrations and incremental auto-vacuum), the page cache, memory map and automatic checkpoint
/// (a backstop, at 8,192 pages) are the writer's, and a thread checkpoints (PASSIVE) from its own connection after
/// every 2,000 changes, as the queue's checkpointer does.
/// </summary>
internal sealed class CApiInsert : IDisposable
{
    private static readonly byte[] Queue = Encoding.UTF8.GetBytes(QueueNames.Default);
    private static readonly byte[] Type = Encoding.UTF8.GetBytes(BenchmarkData.JobType);

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _insert;
    private readonly sqlite3_stmt _commit;
    private readonly int _queue, _type, _payload, _priority, _runAt, _maxAttempts, _timeout, _dedup, _now, _traceParent, _traceState;
    private readonly SemaphoreSlim? _checkpointDue;
    private readonly Thread? _checkpointer;
    private volatile bool _stopping;
    private int _changesAtCheckpoint;

    public CApiInsert(string path, bool queueSettings = false)
    {
        if (queueSettings)
        {
            // The file as the queue makes it (its migrations, incremental auto-vacuum), and its writer's page cache.
            using (var queue = new SqliteJobQueue(BenchmarkData.QueueOptions(path)))
            {
                queue.InitializeAsync().GetAwaiter().GetResult();
            }
        }
        else
        {
            // The schema (every migration) and the file's WAL mode come from the same helper the other baseline uses.
            BenchmarkData.OpenRawConnection(path).Dispose();
        }

        Check(raw.sqlite3_open_v2(path, out _db, raw.SQLITE_OPEN_READWRITE, null));
        foreach (var pragma in new[] { "PRAGMA busy_timeout = 5000;", "PRAGMA journal_mode = WAL;", "PRAGMA synchronous = NORMAL;", "PRAGMA foreign_keys = ON;", "PRAGMA journal_size_limit = 67108864;" })
        {
            Check(raw.sqlite3_exec(_db, pragma));
        }

        if (queueSettings)
        {
            // The writer's page cache, memory map and automatic checkpoint (only a backstop to the checkpoints aside).
            var defaults = new SqliteQueueOptions();
            Check(raw.sqlite3_exec(_db, $"PRAGMA cache_size = {-defaults.CacheSizeKiB};"));
            Check(raw.sqlite3_exec(_db, $"PRAGMA mmap_size = {defaults.MmapSizeBytes};"));
            Check(raw.sqlite3_exec(_db, $"PRAGMA wal_autocheckpoint = {defaults.WalAutoCheckpointPages};"));
            _checkpointDue = new SemaphoreSlim(0, 1);
            _checkpointer = new Thread(() => CheckpointLoop(path)) { IsBackground = true, Name = "C API checkpointer" };
            _checkpointer.Start();
        }

        _begin = Prepare("BEGIN IMMEDIATE;");
        _insert = Prepare(SqlText.Render(JobSql.Enqueue, BenchmarkData.Prefix));
        _commit = Prepare("COMMIT;");
        _queue = raw.sqlite3_bind_parameter_index(_insert, "@queue");
        _type = raw.sqlite3_bind_parameter_index(_insert, "@type");
        _payload = raw.sqlite3_bind_parameter_index(_insert, "@payload");
        _priority = raw.sqlite3_bind_parameter_index(_insert, "@priority");
        _runAt = raw.sqlite3_bind_parameter_index(_insert, "@run_at");
        _maxAttempts = raw.sqlite3_bind_parameter_index(_insert, "@max_attempts");
        _timeout = raw.sqlite3_bind_parameter_index(_insert, "@timeout_ms");
        _dedup = raw.sqlite3_bind_parameter_index(_insert, "@dedup_key");
        _now = raw.sqlite3_bind_parameter_index(_insert, "@now");
        _traceParent = raw.sqlite3_bind_parameter_index(_insert, "@trace_parent");
        _traceState = raw.sqlite3_bind_parameter_index(_insert, "@trace_state");
    }

    /// <summary>One row in its own transaction; returns its id.</summary>
    public long Run(ReadOnlySpan<byte> payload, long now)
    {
        Done(_begin);
        Check(raw.sqlite3_bind_text(_insert, _queue, Queue));
        Check(raw.sqlite3_bind_text(_insert, _type, Type));
        Check(raw.sqlite3_bind_text(_insert, _payload, payload));
        Check(raw.sqlite3_bind_int(_insert, _priority, 0));
        Check(raw.sqlite3_bind_int64(_insert, _runAt, now));
        Check(raw.sqlite3_bind_int(_insert, _maxAttempts, 5));
        Check(raw.sqlite3_bind_null(_insert, _timeout));
        Check(raw.sqlite3_bind_null(_insert, _dedup));
        Check(raw.sqlite3_bind_int64(_insert, _now, now));
        Check(raw.sqlite3_bind_null(_insert, _traceParent));
        Check(raw.sqlite3_bind_null(_insert, _traceState));
        var rc = raw.sqlite3_step(_insert);
        if (rc != raw.SQLITE_ROW)
        {
            Check(rc);
        }

        var id = raw.sqlite3_column_int64(_insert, 0);
        Check(raw.sqlite3_step(_insert) == raw.SQLITE_DONE ? raw.SQLITE_OK : raw.SQLITE_ERROR);
        raw.sqlite3_reset(_insert);
        Done(_commit);
        if (_checkpointDue is not null && raw.sqlite3_total_changes(_db) - _changesAtCheckpoint >= 2_000)
        {
            _changesAtCheckpoint = raw.sqlite3_total_changes(_db);
            if (_checkpointDue.CurrentCount == 0)
            {
                _checkpointDue.Release();
            }
        }

        return id;
    }

    public void Empty()
    {
        Done(_begin);
        Done(_commit);
    }

    private void CheckpointLoop(string path)
    {
        Check(raw.sqlite3_open_v2(path, out var db, raw.SQLITE_OPEN_READWRITE, null));
        using (db)
        {
            raw.sqlite3_exec(db, "PRAGMA busy_timeout = 5000;");
            while (true)
            {
                _checkpointDue!.Wait();
                if (_stopping)
                {
                    return;
                }

                raw.sqlite3_exec(db, "PRAGMA wal_checkpoint(PASSIVE);");
            }
        }
    }

    public void Dispose()
    {
        if (_checkpointer is not null)
        {
            _stopping = true;
            try
            {
                _checkpointDue!.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled: the loop sees _stopping.
            }

            _checkpointer.Join();
            _checkpointDue!.Dispose();
        }

        _begin.Dispose();
        _insert.Dispose();
        _commit.Dispose();
        _db.Dispose();
    }

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_db, sql, out var statement));
        return statement;
    }

    private void Done(sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        Check(rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc);
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new InvalidOperationException($"SQLite error {rc}: {raw.sqlite3_errmsg(_db).utf8_to_string()}");
        }
    }
}

/// <summary>
/// The W1 figures; the first four are those of the original line format. <see cref="CApiRatio"/> is the queue's rate
/// over the bare C API's.
/// </summary>
internal sealed record W1Result(
    double QueueJobsPerSecond, double RawJobsPerSecond, double Ratio, double QueueBytesPerJob,
    double CApiJobsPerSecond, double CApiRatio, double RawBytesPerJob, double CApiBytesPerJob,
    double CApiQueueSettingsJobsPerSecond, double CApiQueueSettingsRatio);
