using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Scheduling;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// Claiming from a file-backed queue that holds <see cref="Depth"/> pending jobs (1,000, 100,000 or 1,000,000;
/// priorities 0..4 in turn, ~127-character payloads), through <see cref="IWorker.ClaimAsync"/> and, as the baseline,
/// through the same claim statement run on a plain Microsoft.Data.Sqlite connection.
/// </summary>
/// <remarks>
/// <para>
/// The file: <see cref="BenchmarkData.CreatePendingFile"/> builds it once in each benchmark process's global setup
/// (the queue creates the schema, the rows are bulk-inserted directly), so the library queue and the raw baseline
/// start from identical files.
/// </para>
/// <para>
/// How the depth is kept: a claim turns a pending job into a running one, so every iteration runs a fixed number of
/// claims (<see cref="ClaimsPerIteration"/>) and the un-timed <see cref="ResetQueue"/> before the next iteration
/// turns every running job back into a pending one with a single UPDATE (attempt and lease cleared, run_at kept)
/// and checkpoints the WAL. Each iteration therefore starts from exactly <see cref="Depth"/> pending jobs in the
/// same order; within one iteration the depth falls by at most 8 (batch 1) or 256 (batch 32), and as many jobs are
/// running. 8 claims per iteration keep a 1,000-job queue at three quarters of its depth or more, and keep
/// WeightedRandom's most-drawn class (44 % of draws, 200 jobs at that depth) from running dry within an iteration.
/// Nothing is completed, so no execution rows accumulate. The library queue and the raw table get the same treatment.
/// </para>
/// <para>
/// The raw baseline runs, per operation, <c>BEGIN IMMEDIATE</c>, one prepared and reused claim statement (the very
/// text the queue uses for that order: <c>UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING ...</c> for one job,
/// <c>id IN (SELECT ... LIMIT n)</c> for many), reads every returned column, and commits. The queue does the same
/// plus what a real claim needs: the expired-lease probe, the async write gate, the claimed-job objects and their
/// ordering, and for WeightedRandom the skip scan over priority classes and one statement per class drawn (the raw
/// WeightedRandom baseline claims the whole batch from one class, the classes taken in turn, without the skip scan).
/// </para>
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(ClaimsPerIteration)]
[WarmupCount(5)]
[IterationCount(40)]
public class ClaimBenchmarks
{
    public const int ClaimsPerIteration = 8;

    private string _path = "";
    private SqliteJobQueue? _queue;
    private IWorker? _worker;
    private SqliteConnection? _raw;
    private SqliteCommand? _rawClaim;
    private SqliteCommand? _rawReset;
    private string _resetSql = "";
    private bool _rawByClass;
    private int _nextClass;
    private long _sink;

    /// <summary>Pending jobs at the start of every iteration (<see cref="BenchmarkData.DepthsVariable"/> can narrow the set).</summary>
    [ParamsSource(nameof(Depths))]
    public int Depth { get; set; } = 1_000;

    public static IEnumerable<int> Depths() => BenchmarkData.Depths();

    [Params("Fifo", "Lifo", "Priority", "WeightedRandom")]
    public string Strategy { get; set; } = "Fifo";

    [Params(1, 32)]
    public int Batch { get; set; } = 1;

    [GlobalSetup(Target = nameof(ClaimAsync))]
    public void SetupQueue()
    {
        _path = BenchmarkData.CreatePendingFile(Depth);
        _queue = BenchmarkData.OpenQueue(_path);
        _worker = _queue.Create(new WorkerOptions { WorkerId = "bench-worker", Strategy = StrategyFor(Strategy) });
        _resetSql = ResetSql();
        WarmUp(() => ClaimAsync().GetAwaiter().GetResult());
    }

    [GlobalSetup(Target = nameof(RawClaim))]
    public void SetupRaw()
    {
        _path = BenchmarkData.CreatePendingFile(Depth);
        _raw = BenchmarkData.OpenRawConnection(_path);

        _rawByClass = Strategy == "WeightedRandom";
        var template = (Strategy, Batch) switch
        {
            ("Fifo", 1) => JobSql.ClaimOneFifo,
            ("Fifo", _) => RawSql.ClaimManyFifo,
            ("Lifo", 1) => JobSql.ClaimOneLifo,
            ("Lifo", _) => RawSql.ClaimManyLifo,
            ("Priority", 1) => JobSql.ClaimOnePriority,
            ("Priority", _) => RawSql.ClaimManyPriority,
            ("WeightedRandom", 1) => JobSql.ClaimOneInClass,
            ("WeightedRandom", _) => RawSql.ClaimManyInClass,
            _ => throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Unknown strategy."),
        };
        _rawClaim = _raw.CreateCommand();
        _rawClaim.CommandText = SqlText.Render(template, BenchmarkData.Prefix);
        foreach (var name in new[] { "@queue", "@now", "@owner", "@token", "@until" })
        {
            _rawClaim.Parameters.Add(new SqliteParameter(name, null));
        }

        if (Batch > 1)
        {
            _rawClaim.Parameters.Add(new SqliteParameter("@limit", Batch));
        }
        else
        {
            // The one-job claim statements serve held claims too; a raw claim starts its job, as ClaimAsync does.
            _rawClaim.Parameters.Add(new SqliteParameter("@start", 1));
        }

        if (_rawByClass)
        {
            _rawClaim.Parameters.Add(new SqliteParameter("@priority", 0));
        }

        _rawClaim.Parameters["@queue"].Value = QueueNames.Default;
        _rawClaim.Parameters["@owner"].Value = "bench-worker";
        _rawClaim.Prepare();

        _resetSql = ResetSql();
        _rawReset = _raw.CreateCommand();
        _rawReset.CommandText = _resetSql;
        _rawReset.Prepare();
        WarmUp(() => RawClaim());
    }

    /// <summary>
    /// Runs the measured operation 400 times in iterations like the measured ones, with pauses, so that tiered JIT
    /// compilation has finished before BenchmarkDotNet's warm-up (an iteration is only 8 operations, a few
    /// milliseconds, which is too short for the runtime's 100 ms tier-up delay otherwise).
    /// </summary>
    private void WarmUp(Action operation)
    {
        for (var pass = 0; pass < 2; pass++)
        {
            for (var round = 0; round < 25; round++)
            {
                ResetQueue();
                for (var i = 0; i < ClaimsPerIteration; i++)
                {
                    operation();
                }
            }

            Thread.Sleep(300);
        }

        ResetQueue();
    }

    /// <summary>Un-timed: every running job back to pending, and the WAL checkpointed, so each iteration starts alike.</summary>
    [IterationSetup]
    public void ResetQueue()
    {
        if (_queue is not null)
        {
            BenchmarkData.ExecuteThroughStore(_queue, _path, _resetSql);
        }
        else if (_raw is not null)
        {
            using (var tx = _raw.BeginTransaction())
            {
                _rawReset!.Transaction = tx;
                _rawReset.ExecuteNonQuery();
                tx.Commit();
            }

            BenchmarkData.Execute(_raw, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
    }

    [Benchmark(Baseline = true)]
    public long RawClaim()
    {
        var claimed = RawClaimOnce(out var rows);
        if (rows != Batch)
        {
            throw new InvalidOperationException($"Claimed {rows} jobs, expected {Batch}: the queue ran dry.");
        }

        return claimed;
    }

    private long RawClaimOnce(out int rows)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var tx = _raw!.BeginTransaction();
        var command = _rawClaim!;
        command.Transaction = tx;
        var p = command.Parameters;
        p["@now"].Value = now;
        p["@token"].Value = Random.Shared.NextInt64(1, long.MaxValue);
        p["@until"].Value = now + 30_000;
        if (_rawByClass)
        {
            // The classes in turn, so a 1,000-job queue (200 per class) never runs a class dry within an iteration.
            p["@priority"].Value = _nextClass++ % BenchmarkData.PriorityClasses;
        }

        long claimed = 0;
        rows = 0;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                rows++;
                // Read every column the queue reads, as the queue does.
                claimed += reader.GetInt64(0);
                claimed += reader.GetString(1).Length + reader.GetString(2).Length + reader.GetString(3).Length;
                claimed += reader.GetInt32(4) + reader.GetInt32(5) + reader.GetInt32(6);
                claimed += reader.IsDBNull(7) ? 0 : reader.GetInt64(7);
                claimed += reader.GetInt64(8);
                if (reader.FieldCount == 10)
                {
                    // RawSql's claims of several jobs end with run_at.
                    claimed += reader.GetInt64(9);
                }
                else
                {
                    // The queue's one-job claims (JobSql) end with the recurring columns of schema 2, NULL for these jobs.
                    claimed += reader.IsDBNull(9) ? 0 : reader.GetString(9).Length;
                    claimed += reader.IsDBNull(10) ? 0 : reader.GetInt64(10);
                    claimed += reader.IsDBNull(11) ? 0 : reader.GetInt64(11);
                }
            }
        }

        tx.Commit();
        _sink = claimed;
        return claimed;
    }

    [Benchmark]
    public async Task<int> ClaimAsync()
    {
        var jobs = await _worker!.ClaimAsync(Batch);
        if (jobs.Count != Batch)
        {
            throw new InvalidOperationException($"Claimed {jobs.Count} jobs, expected {Batch}: the queue ran dry.");
        }

        return jobs.Count;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// pending + running jobs at cleanup: {PendingCount()} (sink {_sink})");
        _rawClaim?.Dispose();
        _rawReset?.Dispose();
        _raw?.Dispose();
        _queue?.Dispose();
        BenchmarkData.DeleteDatabase(_path);
    }

    private long PendingCount()
    {
        using var connection = new SqliteConnection($"Data Source={_path};Pooling=False");
        connection.Open();
        return BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {BenchmarkData.Prefix}jobs WHERE state IN ('pending', 'running');");
    }

    private static string ResetSql() => $"""
        UPDATE {BenchmarkData.Prefix}jobs
        SET state = 'pending', attempt = 0, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, started_at = NULL
        WHERE state = 'running';
        """;

    private static ISchedulingStrategy StrategyFor(string name) => name switch
    {
        "Fifo" => SchedulingStrategies.Fifo,
        "Lifo" => SchedulingStrategies.Lifo,
        "Priority" => SchedulingStrategies.Priority,
        "WeightedRandom" => SchedulingStrategies.WeightedRandom,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown strategy."),
    };
}
