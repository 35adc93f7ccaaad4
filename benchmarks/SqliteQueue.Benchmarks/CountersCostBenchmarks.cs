using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// What the four triggers that keep the finished-job counts (schema 3's <c>{prefix}counts</c>) cost the hot paths:
/// claim plus complete of one job, claim plus <see cref="IWorker.CompleteManyAsync"/> of 32, and one enqueue, on a
/// file of 100,000 pending jobs with the triggers as shipped, against the same file with the four triggers dropped
/// after initialization (the baseline).
/// </summary>
/// <remarks>
/// <para>
/// Both files are built by <see cref="BenchmarkData.CreatePendingFile"/>: the same schema, the same 100,000 jobs. The
/// baseline then drops <c>jobs_count_finish</c>, <c>jobs_count_unfinish</c>, <c>jobs_count_insert</c> and
/// <c>jobs_count_delete</c> on a plain connection before the queue opens the file; nothing else differs. The setup
/// checks which triggers each file has, and the cleanup that the counts table followed the completions on one side
/// and stood still on the other.
/// </para>
/// <para>
/// A completion fires the finish trigger (one upsert into the counts table); a claim and an enqueue only evaluate the
/// triggers' WHEN clauses. Each iteration runs <see cref="OperationsPerIteration"/> operations; before each one of
/// the claim benchmarks, an un-timed reset turns the jobs the last iteration claimed back into pending ones (which
/// fires the unfinish trigger, outside the measurement), deletes their execution rows and checkpoints the WAL, so
/// every iteration claims and completes the same jobs from the same state. Enqueued jobs are kept: about 1,200 per
/// benchmark process (warm-up included), on both sides alike.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[InvocationCount(OperationsPerIteration)]
[WarmupCount(5)]
[IterationCount(30)]
public class CountersCostBenchmarks
{
    public const int OperationsPerIteration = 16;
    public const int ManyCount = 32;

    /// <summary>The counting triggers of schema 3, under the default prefix.</summary>
    public static readonly string[] Triggers =
    [
        $"{BenchmarkData.Prefix}jobs_count_finish", $"{BenchmarkData.Prefix}jobs_count_unfinish",
        $"{BenchmarkData.Prefix}jobs_count_insert", $"{BenchmarkData.Prefix}jobs_count_delete",
    ];

    private string _path = "";
    private bool _withTriggers;
    private SqliteJobQueue? _queue;
    private IWorker? _worker;
    private OrderPayload _payload = BenchmarkData.Payload(0);
    private long _highestClaimed;

    [GlobalSetup(Target = nameof(ClaimComplete1NoTriggers))]
    public void SetupClaimComplete1NoTriggers() => Setup(withTriggers: false, () => ClaimCompleteOneAsync());

    [GlobalSetup(Target = nameof(ClaimComplete1Triggers))]
    public void SetupClaimComplete1Triggers() => Setup(withTriggers: true, () => ClaimCompleteOneAsync());

    [GlobalSetup(Target = nameof(ClaimComplete32NoTriggers))]
    public void SetupClaimComplete32NoTriggers() => Setup(withTriggers: false, () => ClaimCompleteManyAsync());

    [GlobalSetup(Target = nameof(ClaimComplete32Triggers))]
    public void SetupClaimComplete32Triggers() => Setup(withTriggers: true, () => ClaimCompleteManyAsync());

    [GlobalSetup(Target = nameof(EnqueueNoTriggers))]
    public void SetupEnqueueNoTriggers() => Setup(withTriggers: false, () => EnqueueAsync());

    [GlobalSetup(Target = nameof(EnqueueTriggers))]
    public void SetupEnqueueTriggers() => Setup(withTriggers: true, () => EnqueueAsync());

    [IterationSetup(Targets =
    [
        nameof(ClaimComplete1NoTriggers), nameof(ClaimComplete1Triggers),
        nameof(ClaimComplete32NoTriggers), nameof(ClaimComplete32Triggers),
    ])]
    public void ResetClaimed()
    {
        if (_highestClaimed == 0)
        {
            return;
        }

        var p = BenchmarkData.Prefix;
        BenchmarkData.ExecuteThroughStore(_queue!, _path, $"""
            DELETE FROM {p}executions WHERE job_id <= {_highestClaimed};
            UPDATE {p}jobs
            SET state = 'pending', attempt = 0, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
                started_at = NULL, finished_at = NULL
            WHERE id <= {_highestClaimed} AND state IN ('running', 'completed');
            """);
        _highestClaimed = 0;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ClaimComplete1")]
    public Task<int> ClaimComplete1NoTriggers() => ClaimCompleteOneAsync();

    [Benchmark]
    [BenchmarkCategory("ClaimComplete1")]
    public Task<int> ClaimComplete1Triggers() => ClaimCompleteOneAsync();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ClaimComplete32")]
    public Task<int> ClaimComplete32NoTriggers() => ClaimCompleteManyAsync();

    [Benchmark]
    [BenchmarkCategory("ClaimComplete32")]
    public Task<int> ClaimComplete32Triggers() => ClaimCompleteManyAsync();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Enqueue1")]
    public Task<long> EnqueueNoTriggers() => EnqueueAsync();

    [Benchmark]
    [BenchmarkCategory("Enqueue1")]
    public Task<long> EnqueueTriggers() => EnqueueAsync();

    [GlobalCleanup]
    public void Cleanup()
    {
        _queue?.Dispose();
        using (var connection = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            connection.Open();
            var p = BenchmarkData.Prefix;
            var completed = BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}jobs WHERE state = 'completed';");
            var counted = BenchmarkData.Scalar(connection, $"SELECT COALESCE(SUM(n), 0) FROM {p}counts WHERE state = 'completed';");
            var jobs = BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}jobs;");
            Console.WriteLine($"// at cleanup ({(_withTriggers ? "triggers" : "no triggers")}): {jobs} jobs, {completed} completed, {counted} in the counts table");

            // With the triggers the table must follow every completion; without them it must not have moved.
            var expected = _withTriggers ? completed : 0;
            if (counted != expected)
            {
                throw new InvalidOperationException($"The counts table holds {counted} completed jobs, expected {expected}.");
            }
        }

        BenchmarkData.DeleteDatabase(_path);
    }

    private void Setup(bool withTriggers, Func<Task> operation)
    {
        _withTriggers = withTriggers;
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        using (var raw = BenchmarkData.OpenRawConnection(_path))
        {
            if (!withTriggers)
            {
                foreach (var trigger in Triggers)
                {
                    BenchmarkData.Execute(raw, $"DROP TRIGGER {trigger};");
                }
            }

            var present = BenchmarkData.Scalar(raw, $"""
                SELECT COUNT(*) FROM sqlite_schema
                WHERE type = 'trigger' AND name IN ('{string.Join("', '", Triggers)}');
                """);
            if (present != (withTriggers ? Triggers.Length : 0))
            {
                throw new InvalidOperationException($"The file has {present} of the {Triggers.Length} counting triggers.");
            }

            BenchmarkData.Execute(raw, "PRAGMA wal_checkpoint(TRUNCATE);");
            Console.WriteLine($"// {present} counting triggers");
        }

        _queue = BenchmarkData.OpenQueue(_path);
        _worker = _queue.Create(new WorkerOptions { WorkerId = "bench-worker" });
        _payload = BenchmarkData.Payload(BenchmarkData.QueueDepth);
        WarmUp(() => operation().GetAwaiter().GetResult());
    }

    /// <summary>
    /// Runs the measured operation in iterations like the measured ones, twice with a pause, so that tiered JIT
    /// compilation has finished before BenchmarkDotNet's warm-up (an iteration is a few milliseconds, shorter than the
    /// runtime's tier-up delay). Warming enqueue adds 640 jobs, on both sides alike.
    /// </summary>
    private void WarmUp(Action operation)
    {
        for (var pass = 0; pass < 2; pass++)
        {
            for (var round = 0; round < 20; round++)
            {
                ResetClaimed();
                for (var i = 0; i < OperationsPerIteration; i++)
                {
                    operation();
                }
            }

            Thread.Sleep(300);
        }

        ResetClaimed();
    }

    private Task<long> EnqueueAsync() => _queue!.Client.EnqueueAsync(BenchmarkData.JobType, _payload);

    private async Task<int> ClaimCompleteOneAsync()
    {
        var jobs = await _worker!.ClaimAsync(1);
        if (jobs.Count != 1)
        {
            throw new InvalidOperationException("Claimed no job: the queue ran dry.");
        }

        _highestClaimed = Math.Max(_highestClaimed, jobs[0].Id);
        return await _worker.CompleteAsync(jobs[0]) ? 1 : throw new InvalidOperationException("A completion was not applied.");
    }

    private async Task<int> ClaimCompleteManyAsync()
    {
        var jobs = await _worker!.ClaimAsync(ManyCount);
        if (jobs.Count != ManyCount)
        {
            throw new InvalidOperationException($"Claimed {jobs.Count} jobs, expected {ManyCount}: the queue ran dry.");
        }

        foreach (var job in jobs)
        {
            _highestClaimed = Math.Max(_highestClaimed, job.Id);
        }

        var done = 0;
        foreach (var ok in await _worker.CompleteManyAsync(jobs))
        {
            done += ok ? 1 : 0;
        }

        return done == ManyCount ? done : throw new InvalidOperationException($"{done} of {ManyCount} completions applied.");
    }
}
