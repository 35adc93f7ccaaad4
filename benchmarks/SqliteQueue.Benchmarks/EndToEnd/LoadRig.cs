using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>One timed call: when it started (<see cref="Stopwatch.GetTimestamp"/>), how long it took, and whether it got a job.</summary>
internal readonly record struct CallSample(long At, double Ms, bool Hit);

/// <summary>
/// The steady load the maintenance probes run beside: one producer (one awaited <see cref="IQueueClient.EnqueueAsync{TPayload}"/>
/// at a time, paced to a rate) and a few workers, each a loop of <see cref="IWorker.ClaimAsync"/> of one job and
/// <see cref="IWorker.CompleteAsync"/>, all on one <see cref="SqliteJobQueue"/> as one process would run them. Every
/// call is timed, with its start, so a probe can slice the record by phase after the rig has stopped.
/// </summary>
internal sealed class LoadRig
{
    // A worker that found nothing waits this long before it asks again, so idle workers do not take the writer from
    // the producer and the maintenance under test; an empty claim is still a timed claim.
    private static readonly TimeSpan EmptyPause = TimeSpan.FromMilliseconds(5);

    private readonly SqliteJobQueue _queue;
    private readonly List<CallSample>[] _claims;
    private readonly List<CallSample> _enqueues = [];
    private readonly Task[] _workers;
    private readonly Task _producer;
    private volatile bool _stopping;
    private int _failures;

    private LoadRig(SqliteJobQueue queue, int workers, int rate, int? maxJobs, Func<int, OrderPayload> payload)
    {
        _queue = queue;
        _claims = Enumerable.Range(0, workers).Select(_ => new List<CallSample>(1 << 16)).ToArray();
        _workers = Enumerable.Range(0, workers)
            .Select(i => Task.Run(() => WorkAsync(queue.Create(new WorkerOptions { WorkerId = $"load-{i}" }), _claims[i])))
            .ToArray();
        _producer = Task.Run(() => ProduceAsync(rate, maxJobs, payload));
    }

    public static LoadRig Start(SqliteJobQueue queue, int workers, int rate, int? maxJobs = null, Func<int, OrderPayload>? payload = null) =>
        new(queue, workers, rate, maxJobs, payload ?? BenchmarkData.Payload);

    /// <summary>Completes when the producer has enqueued its last job (never, without a job limit, until <see cref="StopAsync"/>).</summary>
    public Task Produced => _producer;

    /// <summary>Calls that threw; a probe reports them, and a load that keeps failing is not a measurement.</summary>
    public int Failures => Volatile.Read(ref _failures);

    public async Task StopAsync()
    {
        _stopping = true;
        await Task.WhenAll([_producer, .. _workers]);
    }

    /// <summary>Every claim call, in no particular order; read after <see cref="StopAsync"/>.</summary>
    public IEnumerable<CallSample> Claims => _claims.SelectMany(c => c);

    /// <summary>Every enqueue call; read after <see cref="StopAsync"/>.</summary>
    public IReadOnlyList<CallSample> Enqueues => _enqueues;

    private async Task ProduceAsync(int rate, int? maxJobs, Func<int, OrderPayload> payload)
    {
        var client = _queue.Client;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; !_stopping && (maxJobs is null || i < maxJobs); i++)
        {
            if (rate > 0)
            {
                // Paced against the start, not the previous call, so a slow call is caught up and the mean rate holds.
                var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
                var ahead = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (ahead >= TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(ahead);
                }
            }

            var job = payload(i);
            var at = Stopwatch.GetTimestamp();
            try
            {
                await client.EnqueueAsync(BenchmarkData.JobType, job);
                _enqueues.Add(new CallSample(at, Stopwatch.GetElapsedTime(at).TotalMilliseconds, true));
            }
            catch (SqliteQueueException)
            {
                Interlocked.Increment(ref _failures);
            }
        }
    }

    private async Task WorkAsync(IWorker worker, List<CallSample> samples)
    {
        while (!_stopping)
        {
            IReadOnlyList<ClaimedJob> jobs;
            var at = Stopwatch.GetTimestamp();
            try
            {
                jobs = await worker.ClaimAsync(1);
            }
            catch (SqliteQueueException)
            {
                Interlocked.Increment(ref _failures);
                await Task.Delay(EmptyPause);
                continue;
            }

            samples.Add(new CallSample(at, Stopwatch.GetElapsedTime(at).TotalMilliseconds, jobs.Count > 0));
            if (jobs.Count == 0)
            {
                await Task.Delay(EmptyPause);
                continue;
            }

            try
            {
                await worker.CompleteAsync(jobs[0]);
            }
            catch (SqliteQueueException)
            {
                Interlocked.Increment(ref _failures);
            }
        }
    }

    /// <summary>Claim latency of the calls that started in [<paramref name="from"/>, <paramref name="to"/>), and how many got a job.</summary>
    public ClaimWindow ClaimsBetween(long from, long to)
    {
        var inside = Claims.Where(c => c.At >= from && c.At < to).ToList();
        var seconds = Stopwatch.GetElapsedTime(from, to).TotalSeconds;
        return new ClaimWindow(
            Math.Round(seconds, 2),
            inside.Count,
            inside.Count(c => c.Hit),
            Math.Round(inside.Count(c => c.Hit) / seconds, 0),
            inside.Count == 0 ? null : LatencyFigure.From(inside.Select(c => c.Ms).ToList()));
    }

    /// <summary>
    /// The 1-minute load average, for the report: on a small machine another process's work shows in every latency
    /// figure, and this says whether there was any.
    /// </summary>
    public static string MachineLoad()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>Enqueues that started in [<paramref name="from"/>, <paramref name="to"/>), per second.</summary>
    public double EnqueuesPerSecond(long from, long to) =>
        Math.Round(Enqueues.Count(c => c.At >= from && c.At < to) / Stopwatch.GetElapsedTime(from, to).TotalSeconds, 0);
}

/// <summary>The claims of one phase: all calls timed, the ones that got a job, their rate, and the latency of every call.</summary>
internal sealed record ClaimWindow(double Seconds, int Calls, int Jobs, double JobsPerSecond, LatencyFigure? Latency)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Calls:N0} claims ({Jobs:N0} got a job, {JobsPerSecond:N0} jobs/s) in {Seconds:F1} s; latency {(Latency?.ToString() ?? "none")}");
}

/// <summary>
/// The duration of every write transaction on the queue's writer connection, from the start of its <c>BEGIN</c> to
/// the end of its <c>COMMIT</c> (which is where SQLite writes the transaction's pages to the WAL), taken from SQLite's
/// per-statement profile callback; a transaction that ran a statement starting with <see cref="MarkPrefix"/> is marked.
/// </summary>
/// <remarks>
/// The callback costs a string per statement on the writer, the same in every phase of a probe. It measures from the
/// connection's side, so it sees what the library's own timing of a batch leaves out: the BEGIN, the commit's page
/// writes, and the other writes of the process grouped into the same transaction.
/// </remarks>
internal sealed class WriteTransactionTrace
{
    private readonly string _markPrefix;
    private readonly List<(long End, double Ms, bool Marked)> _transactions = new(1 << 16);
    private readonly SQLitePCL.strdelegate_profile _callback;
    private long _begin;
    private bool _marked;

    private WriteTransactionTrace(string markPrefix)
    {
        _markPrefix = markPrefix;
        _callback = OnStatement;
    }

    public string MarkPrefix => _markPrefix;

    /// <summary>Installs the callback on the writer connection of <paramref name="queue"/>, from inside one of its own writes.</summary>
    public static async Task<WriteTransactionTrace> AttachAsync(SqliteJobQueue queue, string markPrefix)
    {
        var trace = new WriteTransactionTrace(markPrefix);
        await queue.SqliteStore.WriteAsync(trace, static (_, tx, t) =>
        {
            SQLitePCL.raw.sqlite3_profile(tx.Connection!.Handle, t._callback, null);
            return 0;
        }, CancellationToken.None);
        return trace;
    }

    /// <summary>Transactions that committed in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public TransactionFigure Between(long from, long to, bool? marked)
    {
        List<double> ms;
        lock (_transactions)
        {
            ms = _transactions.Where(t => t.End >= from && t.End < to && (marked is null || t.Marked == marked)).Select(t => t.Ms).ToList();
        }

        return ms.Count == 0 ? new TransactionFigure(0, 0, 0) : new TransactionFigure(ms.Count, Math.Round(LatencyFigure.From(ms).P99Ms, 3), Math.Round(ms.Max(), 3));
    }

    // Runs on whichever thread runs the writer's statement; the store runs one write at a time, so no two overlap.
    private void OnStatement(object userData, string statement, long nanoseconds)
    {
        var now = Stopwatch.GetTimestamp();
        var sql = statement.AsSpan().TrimStart();
        if (sql.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase))
        {
            _begin = now - (long)(nanoseconds * (Stopwatch.Frequency / 1e9));
            _marked = false;
        }
        else if (sql.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase) || sql.StartsWith("END", StringComparison.OrdinalIgnoreCase))
        {
            if (_begin != 0)
            {
                lock (_transactions)
                {
                    _transactions.Add((now, Stopwatch.GetElapsedTime(_begin, now).TotalMilliseconds, _marked));
                }
            }

            _begin = 0;
        }
        else if (sql.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase) && !sql.Contains(" TO ", StringComparison.OrdinalIgnoreCase))
        {
            _begin = 0;
        }
        else if (_begin != 0 && sql.StartsWith(_markPrefix, StringComparison.Ordinal))
        {
            _marked = true;
        }
    }
}

/// <summary>Write transactions of one kind in one phase: how many, their p99 and the longest, in milliseconds.</summary>
internal sealed record TransactionFigure(int Count, double P99Ms, double MaxMs);

/// <summary>Samples the size of a database's <c>-wal</c> file at a fixed interval, on its own task.</summary>
internal sealed class WalSampler : IAsyncDisposable
{
    private readonly string _wal;
    private readonly List<(long At, long Bytes)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public WalSampler(string databasePath, TimeSpan interval)
    {
        _wal = databasePath + "-wal";
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            do
            {
                var sample = (Stopwatch.GetTimestamp(), Size());
                lock (_samples)
                {
                    _samples.Add(sample);
                }
            }
            while (await Wait(timer));
        });
    }

    private async Task<bool> Wait(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The WAL file's size now (0 when it does not exist).</summary>
    public long Size()
    {
        var file = new FileInfo(_wal);
        return file.Exists ? file.Length : 0;
    }

    public IReadOnlyList<(long At, long Bytes)> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>
/// Files full of history: jobs that finished long ago, written directly (100,000 rows per <c>INSERT ... SELECT</c>
/// and transaction) into a file the queue created, each with the one execution row a completed job has.
/// </summary>
internal static class HistoryFile
{
    private const int Batch = 100_000;

    // The payload the serializer writes for BenchmarkData.Payload(i), as in BenchmarkData.CreatePendingFile.
    private const string InsertCompletedSmall = """
        WITH RECURSIVE n(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @to)
        INSERT INTO queue_jobs (queue, type, payload, priority, state, run_at, attempt, max_attempts, created_at, started_at, finished_at)
        SELECT 'default', 'orders.ship',
               printf('{"orderId":"ord-%08d","customer":"customer-%05d@example.com","sku":"SKU-%05d-XL","quantity":%d,"note":"leave at the door"}',
                      i, i % 9973, i % 50000, 1 + (i % 7)),
               i % 5, 'completed', @t0 + i, 1, 5, @t0 + i, @t0 + i + 1, @t0 + i + 2
        FROM n;
        """;

    // Random hex, so the pages hold what a real payload costs (SQLite does not compress).
    private const string InsertCompletedLarge = """
        WITH RECURSIVE n(i) AS (SELECT @from UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @to)
        INSERT INTO queue_jobs (queue, type, payload, priority, state, run_at, attempt, max_attempts, created_at, started_at, finished_at)
        SELECT 'default', 'orders.ship',
               printf('{"orderId":"ord-%08d","blob":"%s"}', i, hex(randomblob(@half))),
               i % 5, 'completed', @t0 + i, 1, 5, @t0 + i, @t0 + i + 1, @t0 + i + 2
        FROM n;
        """;

    private const string InsertExecutions = """
        INSERT INTO queue_executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
        SELECT id, 1, 'history', started_at, finished_at, 'completed', NULL FROM queue_jobs WHERE id > @from AND id <= @to;
        """;

    /// <summary>
    /// A new file with <paramref name="jobs"/> jobs completed two days ago (one millisecond apart, in id order), and
    /// their executions. <paramref name="payloadBytes"/> null gives the benchmarks' usual 127-byte payload.
    /// </summary>
    public static string Create(int jobs, int? payloadBytes)
    {
        var path = BenchmarkData.NewDatabasePath();
        using (var queue = new SqliteJobQueue(BenchmarkData.QueueOptions(path)))
        {
            queue.InitializeAsync().GetAwaiter().GetResult();
        }

        var watch = Stopwatch.StartNew();
        using var connection = BenchmarkData.OpenRawConnection(path);
        using var insert = connection.CreateCommand();
        insert.CommandText = payloadBytes is null ? InsertCompletedSmall : InsertCompletedLarge;
        var t0 = DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeMilliseconds();
        insert.Parameters.AddWithValue("@t0", t0);
        if (payloadBytes is { } bytes)
        {
            // printf's fixed part is 33 characters and ord-%08d's digits 8; hex doubles each random byte.
            insert.Parameters.AddWithValue("@half", Math.Max(1, (bytes - 41) / 2));
        }

        var from = insert.Parameters.AddWithValue("@from", 0);
        var to = insert.Parameters.AddWithValue("@to", 0);
        using var executions = connection.CreateCommand();
        executions.CommandText = InsertExecutions;
        var execFrom = executions.Parameters.AddWithValue("@from", 0);
        var execTo = executions.Parameters.AddWithValue("@to", 0);
        for (var start = 0; start < jobs; start += Batch)
        {
            var end = Math.Min(jobs, start + Batch);
            using var tx = connection.BeginTransaction();
            insert.Transaction = tx;
            executions.Transaction = tx;
            from.Value = start;
            to.Value = end;

            // A new file's ids start at 1, so job i has id i + 1.
            execFrom.Value = start;
            execTo.Value = end;
            insert.ExecuteNonQuery();
            executions.ExecuteNonQuery();
            tx.Commit();
        }

        insert.Transaction = null;
        executions.Transaction = null;
        BenchmarkData.Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        var completed = BenchmarkData.Scalar(connection, "SELECT COUNT(*) FROM queue_jobs WHERE state = 'completed';");
        var runs = BenchmarkData.Scalar(connection, "SELECT COUNT(*) FROM queue_executions;");
        var counted = BenchmarkData.Scalar(connection, "SELECT COALESCE(SUM(n), 0) FROM queue_counts WHERE state = 'completed';");
        if (completed != jobs || runs != jobs || counted != jobs)
        {
            throw new InvalidOperationException($"Built {completed} completed jobs, {runs} executions, counts table {counted}; expected {jobs} of each.");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// built {jobs:N0} completed jobs with executions in {watch.Elapsed.TotalSeconds:F1} s ({new FileInfo(path).Length / (1024.0 * 1024):N0} MiB)"));
        return path;
    }
}
