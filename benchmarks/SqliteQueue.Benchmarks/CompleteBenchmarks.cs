using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// Completing claimed jobs in a file-backed queue of 100,000 jobs: one job (<see cref="IWorker.CompleteAsync"/>) and
/// 32 jobs (<see cref="IWorker.CompleteManyAsync"/> in one transaction, and 32 <see cref="IWorker.CompleteAsync"/>
/// calls in a row), each against the queue's own completion statement run on a plain Microsoft.Data.Sqlite
/// connection: one transaction per job, or one transaction for 32.
/// </summary>
/// <remarks>
/// <para>
/// The completion statement (<c>JobSql.CompleteJob</c>) writes the execution-history row and marks the job
/// completed, both fenced by the lease token: the same work the queue does per job. The raw baseline prepares it once
/// and runs it inside <c>BEGIN IMMEDIATE</c>/<c>COMMIT</c>, once (one job) or 32 times (32 jobs).
/// </para>
/// <para>
/// How the jobs to complete are provided: an un-timed iteration setup turns every running and completed job back
/// into a pending one, deletes the execution history, checkpoints the WAL, and then claims (FIFO, one claim) exactly
/// the jobs the iteration will complete: <see cref="CompletesPerIteration"/> operations of 1 or 32 jobs. Every
/// iteration therefore completes the same jobs from the same state; about 100,000 jobs stay pending throughout.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[InvocationCount(CompletesPerIteration)]
[WarmupCount(5)]
[IterationCount(30)]
public class CompleteBenchmarks
{
    public const int CompletesPerIteration = 16;
    public const int ManyCount = 32;

    private readonly Queue<ClaimedJob> _claimed = new();
    private readonly Queue<ClaimedJob[]> _claimedBatches = new();
    private readonly Queue<long> _rawClaimed = new();
    private string _path = "";
    private SqliteJobQueue? _queue;
    private IWorker? _worker;
    private SqliteConnection? _raw;
    private SqliteCommand? _rawClaim;
    private SqliteCommand? _rawComplete;
    private long _rawToken;
    private string _resetSql = "";

    [GlobalSetup(Targets = [nameof(CompleteAsync), nameof(CompleteManyAsync), nameof(CompleteEachAsync)])]
    public void SetupQueue()
    {
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        _queue = BenchmarkData.OpenQueue(_path);
        _worker = _queue.Create(new WorkerOptions { WorkerId = "bench-worker" });
        _resetSql = ResetSql();
        WarmUp(1, () => CompleteAsync().GetAwaiter().GetResult());
        WarmUp(ManyCount, () => CompleteManyAsync().GetAwaiter().GetResult());
    }

    [GlobalSetup(Targets = [nameof(RawComplete), nameof(RawCompleteMany)])]
    public void SetupRaw()
    {
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        _raw = BenchmarkData.OpenRawConnection(_path);

        _rawClaim = _raw.CreateCommand();
        _rawClaim.CommandText = SqlText.Render(RawSql.ClaimManyFifo, BenchmarkData.Prefix);
        foreach (var name in new[] { "@queue", "@now", "@owner", "@token", "@until", "@limit" })
        {
            _rawClaim.Parameters.Add(new SqliteParameter(name, null));
        }

        _rawClaim.Parameters["@queue"].Value = QueueNames.Default;
        _rawClaim.Parameters["@owner"].Value = "bench-worker";
        _rawClaim.Prepare();

        _rawComplete = _raw.CreateCommand();
        _rawComplete.CommandText = SqlText.Render(JobSql.CompleteJob, BenchmarkData.Prefix);
        foreach (var name in new[] { "@id", "@token", "@now" })
        {
            _rawComplete.Parameters.Add(new SqliteParameter(name, null));
        }

        _rawComplete.Prepare();
        _resetSql = ResetSql();
        WarmUp(1, () => RawComplete());
        WarmUp(ManyCount, () => RawCompleteMany());
    }

    /// <summary>
    /// Runs a completion path in 20 iterations like the measured ones, twice with a pause, so that tiered JIT
    /// compilation has finished before BenchmarkDotNet's warm-up (an iteration is only a few milliseconds).
    /// </summary>
    private void WarmUp(int perOperation, Action operation)
    {
        for (var pass = 0; pass < 2; pass++)
        {
            for (var round = 0; round < 20; round++)
            {
                ResetAndClaim(perOperation);
                for (var i = 0; i < CompletesPerIteration; i++)
                {
                    operation();
                }
            }

            Thread.Sleep(300);
        }
    }

    [IterationSetup(Targets = [nameof(CompleteAsync), nameof(RawComplete)])]
    public void ClaimSingles() => ResetAndClaim(1);

    [IterationSetup(Targets = [nameof(CompleteManyAsync), nameof(CompleteEachAsync), nameof(RawCompleteMany)])]
    public void ClaimBatches() => ResetAndClaim(ManyCount);

    /// <summary>One job: BEGIN IMMEDIATE, the prepared completion statement (history row + update), COMMIT.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("One")]
    public int RawComplete()
    {
        using var tx = _raw!.BeginTransaction();
        var done = RawCompleteOne(tx, _rawClaimed.Dequeue(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        tx.Commit();
        return done;
    }

    /// <summary>One job through the worker: one transaction.</summary>
    [Benchmark]
    [BenchmarkCategory("One")]
    public async Task<bool> CompleteAsync()
    {
        var applied = await _worker!.CompleteAsync(_claimed.Dequeue());
        return applied ? applied : throw new InvalidOperationException("A completion was not applied.");
    }

    /// <summary>32 jobs: BEGIN IMMEDIATE, the prepared completion statement 32 times, COMMIT.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Many32")]
    public int RawCompleteMany()
    {
        using var tx = _raw!.BeginTransaction();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var done = 0;
        for (var i = 0; i < ManyCount; i++)
        {
            done += RawCompleteOne(tx, _rawClaimed.Dequeue(), now);
        }

        tx.Commit();
        return done;
    }

    /// <summary>32 jobs in one <see cref="IWorker.CompleteManyAsync"/> call: one transaction.</summary>
    [Benchmark]
    [BenchmarkCategory("Many32")]
    public async Task<int> CompleteManyAsync()
    {
        var applied = await _worker!.CompleteManyAsync(_claimedBatches.Dequeue());
        var done = 0;
        foreach (var ok in applied)
        {
            done += ok ? 1 : 0;
        }

        return done == ManyCount ? done : throw new InvalidOperationException($"{done} of {ManyCount} completions applied.");
    }

    /// <summary>The same 32 jobs with 32 <see cref="IWorker.CompleteAsync"/> calls in a row: 32 transactions.</summary>
    [Benchmark]
    [BenchmarkCategory("Many32")]
    public async Task<int> CompleteEachAsync()
    {
        var done = 0;
        foreach (var job in _claimedBatches.Dequeue())
        {
            done += await _worker!.CompleteAsync(job) ? 1 : 0;
        }

        return done == ManyCount ? done : throw new InvalidOperationException($"{done} of {ManyCount} completions applied.");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        using (var connection = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            connection.Open();
            Console.WriteLine($"// completed jobs at cleanup: {BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {BenchmarkData.Prefix}jobs WHERE state = 'completed';")}");
        }

        _rawClaim?.Dispose();
        _rawComplete?.Dispose();
        _raw?.Dispose();
        _queue?.Dispose();
        BenchmarkData.DeleteDatabase(_path);
    }

    private int RawCompleteOne(SqliteTransaction tx, long id, long now)
    {
        var command = _rawComplete!;
        command.Transaction = tx;
        var p = command.Parameters;
        p["@id"].Value = id;
        p["@token"].Value = _rawToken;
        p["@now"].Value = now;
        var changed = command.ExecuteNonQuery();
        return changed == 2 ? 1 : throw new InvalidOperationException($"The completion statement changed {changed} rows, expected 2.");
    }

    /// <summary>Un-timed: back to the starting state, then the jobs this iteration completes are claimed, in one claim.</summary>
    private void ResetAndClaim(int perOperation)
    {
        var count = CompletesPerIteration * perOperation;
        if (_queue is not null)
        {
            _queue.SqliteStore.WriteAsync(_resetSql, static (_, tx, sql) =>
            {
                BenchmarkData.Execute(tx!.Connection!, sql, tx);
                return 0;
            }, CancellationToken.None).GetAwaiter().GetResult();
            Checkpoint();
            _claimed.Clear();
            _claimedBatches.Clear();
            var jobs = _worker!.ClaimAsync(count).GetAwaiter().GetResult();
            if (jobs.Count != count)
            {
                throw new InvalidOperationException($"Claimed {jobs.Count} jobs, expected {count}.");
            }

            foreach (var job in jobs)
            {
                _claimed.Enqueue(job);
            }

            foreach (var chunk in jobs.Chunk(ManyCount))
            {
                _claimedBatches.Enqueue(chunk);
            }
        }
        else
        {
            var raw = _raw!;
            using (var tx = raw.BeginTransaction())
            {
                BenchmarkData.Execute(raw, _resetSql, tx);
                tx.Commit();
            }

            Checkpoint();
            _rawClaimed.Clear();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _rawToken = Random.Shared.NextInt64(1, long.MaxValue);
            using (var tx = raw.BeginTransaction())
            {
                var claim = _rawClaim!;
                claim.Transaction = tx;
                var p = claim.Parameters;
                p["@now"].Value = now;
                p["@token"].Value = _rawToken;
                p["@until"].Value = now + 30_000;
                p["@limit"].Value = count;
                using (var reader = claim.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        _rawClaimed.Enqueue(reader.GetInt64(0));
                    }
                }

                tx.Commit();
                claim.Transaction = null;
            }

            if (_rawClaimed.Count != count)
            {
                throw new InvalidOperationException($"Claimed {_rawClaimed.Count} jobs, expected {count}.");
            }
        }
    }

    private void Checkpoint()
    {
        if (_raw is not null)
        {
            BenchmarkData.Execute(_raw, "PRAGMA wal_checkpoint(TRUNCATE);");
            return;
        }

        using var checkpoint = new SqliteConnection($"Data Source={_path};Pooling=False");
        checkpoint.Open();
        BenchmarkData.Execute(checkpoint, "PRAGMA wal_checkpoint(TRUNCATE);");
    }

    private static string ResetSql() => $"""
        DELETE FROM {BenchmarkData.Prefix}executions;
        UPDATE {BenchmarkData.Prefix}jobs
        SET state = 'pending', attempt = 0, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
            started_at = NULL, finished_at = NULL
        WHERE state IN ('running', 'completed');
        """;
}
