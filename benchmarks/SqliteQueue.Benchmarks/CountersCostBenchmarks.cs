using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// What keeping the finished-job counts (schema 3's <c>{prefix}counts</c>) costs the hot paths: claim plus complete
/// of one job, claim plus <see cref="IWorker.CompleteManyAsync"/> of 32, and one enqueue, on a file of 100,000 pending
/// jobs with counting as shipped, against the same file and code with counting off (the baseline).
/// </summary>
/// <remarks>
/// <para>
/// Counting as shipped is two parts: the store adds its own state changes (a completion, a failure to dead, a
/// cancellation, and their undoing) to the counts, one upsert per queue and state just before each commit; and two
/// triggers, <c>jobs_count_insert</c> and <c>jobs_count_delete</c>, count rows inserted or deleted in a finished
/// state. Both files are built by <see cref="BenchmarkData.CreatePendingFile"/>: the same schema, the same jobs. The
/// baseline then drops the two triggers on a plain connection before the queue opens the file, and sets
/// <c>Store.Counts.Enabled</c> to false right after opening it; nothing else differs. The setup checks which triggers
/// each file has, and the cleanup that the counts table followed the completions on one side and stood still on the
/// other.
/// </para>
/// <para>
/// A completion adds one upsert into the counts table to its commit (one for all 32 of a
/// <see cref="IWorker.CompleteManyAsync"/>); a claim changes no count; an enqueue only evaluates the insert trigger's
/// WHEN clause. Each iteration runs <see cref="OperationsPerIteration"/> operations; before each one of the claim
/// benchmarks, an un-timed reset takes the jobs the last iteration completed off the counts (on the baseline's file
/// the counts table has no row, so this changes nothing), turns them back into pending ones, deletes their execution
/// rows and checkpoints the WAL, so every iteration claims and completes the same jobs from the same state. Enqueued
/// jobs are kept: about 1,200 per benchmark process (warm-up included), on both sides alike.
/// </para>
/// <para>
/// When <see cref="BenchmarkData.DepthsVariable"/> names no depth of 100,000 or more (CI's dry smoke sets it to
/// 1000), the file holds that many jobs instead, at least <see cref="MinimumDepth"/>, and the tier-up warm-up is left
/// out: the smoke only has to run to the end, and six 100,000-job files and warm-ups would be most of its time (about
/// 18 s against 6 s on two cores).
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

    /// <summary>The fewest pending jobs a file may hold: an iteration of the 32-job claims takes this many.</summary>
    public const int MinimumDepth = OperationsPerIteration * ManyCount;

    /// <summary>The counting triggers of schema 3, under the default prefix.</summary>
    public static readonly string[] Triggers =
    [
        $"{BenchmarkData.Prefix}jobs_count_insert", $"{BenchmarkData.Prefix}jobs_count_delete",
    ];

    private string _path = "";
    private bool _counting;
    private SqliteJobQueue? _queue;
    private IWorker? _worker;
    private OrderPayload _payload = BenchmarkData.Payload(0);
    private long _highestClaimed;

    /// <summary>The pending jobs in the file: <see cref="BenchmarkData.QueueDepth"/>, or fewer when the depth setting asks for smaller files.</summary>
    public static int FileDepth => Math.Clamp(BenchmarkData.Depths().Max(), MinimumDepth, BenchmarkData.QueueDepth);

    [GlobalSetup(Target = nameof(ClaimComplete1NoCounting))]
    public void SetupClaimComplete1NoCounting() => Setup(counting: false, () => ClaimCompleteOneAsync());

    [GlobalSetup(Target = nameof(ClaimComplete1Counting))]
    public void SetupClaimComplete1Counting() => Setup(counting: true, () => ClaimCompleteOneAsync());

    [GlobalSetup(Target = nameof(ClaimComplete32NoCounting))]
    public void SetupClaimComplete32NoCounting() => Setup(counting: false, () => ClaimCompleteManyAsync());

    [GlobalSetup(Target = nameof(ClaimComplete32Counting))]
    public void SetupClaimComplete32Counting() => Setup(counting: true, () => ClaimCompleteManyAsync());

    [GlobalSetup(Target = nameof(EnqueueNoCounting))]
    public void SetupEnqueueNoCounting() => Setup(counting: false, () => EnqueueAsync());

    [GlobalSetup(Target = nameof(EnqueueCounting))]
    public void SetupEnqueueCounting() => Setup(counting: true, () => EnqueueAsync());

    [IterationSetup(Targets =
    [
        nameof(ClaimComplete1NoCounting), nameof(ClaimComplete1Counting),
        nameof(ClaimComplete32NoCounting), nameof(ClaimComplete32Counting),
    ])]
    public void ResetClaimed()
    {
        OneJobCycle.Reset(_queue!, _path, _highestClaimed);
        _highestClaimed = 0;
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ClaimComplete1")]
    public Task<int> ClaimComplete1NoCounting() => ClaimCompleteOneAsync();

    [Benchmark]
    [BenchmarkCategory("ClaimComplete1")]
    public Task<int> ClaimComplete1Counting() => ClaimCompleteOneAsync();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ClaimComplete32")]
    public Task<int> ClaimComplete32NoCounting() => ClaimCompleteManyAsync();

    [Benchmark]
    [BenchmarkCategory("ClaimComplete32")]
    public Task<int> ClaimComplete32Counting() => ClaimCompleteManyAsync();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Enqueue1")]
    public Task<long> EnqueueNoCounting() => EnqueueAsync();

    [Benchmark]
    [BenchmarkCategory("Enqueue1")]
    public Task<long> EnqueueCounting() => EnqueueAsync();

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
            var rows = BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}counts;");
            var jobs = BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}jobs;");
            Console.WriteLine($"// at cleanup ({(_counting ? "counting" : "no counting")}): {jobs} jobs, {completed} completed, {counted} in the counts table");

            // Counting on, the table must follow every completion; off, it must not have moved (no row at all).
            var expected = _counting ? completed : 0;
            if (counted != expected || (!_counting && rows != 0))
            {
                throw new InvalidOperationException($"The counts table holds {counted} completed jobs in {rows} rows, expected {expected}.");
            }
        }

        BenchmarkData.DeleteDatabase(_path);
    }

    private void Setup(bool counting, Func<Task> operation)
    {
        _counting = counting;
        var depth = FileDepth;
        _path = BenchmarkData.CreatePendingFile(depth);
        using (var raw = BenchmarkData.OpenRawConnection(_path))
        {
            if (!counting)
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
            if (present != (counting ? Triggers.Length : 0))
            {
                throw new InvalidOperationException($"The file has {present} of the {Triggers.Length} counting triggers.");
            }

            // The throughput series' trigger (schema 5) stays on both sides: it is not what this compares.
            var others = BenchmarkData.Scalar(raw, $"SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger' AND name <> '{BenchmarkData.Prefix}executions_throughput';") - present;
            if (others != 0)
            {
                throw new InvalidOperationException($"The file has {others} triggers besides the counting ones and the throughput series'; the baseline would keep them.");
            }

            BenchmarkData.Execute(raw, "PRAGMA wal_checkpoint(TRUNCATE);");
            Console.WriteLine($"// counting {(counting ? "on" : "off")}: {present} counting triggers");
        }

        _queue = BenchmarkData.OpenQueue(_path);
        _queue.SqliteStore.Counts.Enabled = counting;
        _worker = _queue.Create(new WorkerOptions { WorkerId = "bench-worker" });
        _payload = BenchmarkData.Payload(depth);
        if (depth >= BenchmarkData.QueueDepth)
        {
            WarmUp(() => operation().GetAwaiter().GetResult());
        }
    }

    private void WarmUp(Action operation) => OneJobCycle.WarmUp(operation, ResetClaimed, OperationsPerIteration);

    private Task<long> EnqueueAsync() => _queue!.Client.EnqueueAsync(BenchmarkData.JobType, _payload);

    private async Task<int> ClaimCompleteOneAsync()
    {
        _highestClaimed = Math.Max(_highestClaimed, await OneJobCycle.ClaimCompleteAsync(_worker!));
        return 1;
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
