using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;
using SqliteQueue.Recurring;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// What recurring jobs cost the hot paths: one <see cref="IQueueClient.EnqueueAsync{TPayload}"/>, and one
/// <see cref="IWorker.ClaimAsync"/> of one job followed by its <see cref="IWorker.CompleteAsync"/>, on a file of
/// 100,000 pending jobs with no schedule (the baseline) and on the same file with <see cref="ScheduleCount"/> active
/// schedules and the scheduler running in the process, as a host that declares recurring jobs runs it.
/// </summary>
/// <remarks>
/// <para>
/// Both files are built by <see cref="BenchmarkData.CreatePendingFile"/>, so both have the same schema (schema 2: the
/// jobs table's three recurring columns and its two partial indexes on <c>recurring_name IS NOT NULL</c> are in the
/// baseline too) and the same 100,000 jobs. The schedules are <c>0 0 1 1 *</c> (midnight on 1 January, UTC) with
/// <see cref="Overlap.Allow"/>: none is due during the run, so the scheduler sleeps, waking at the store's poll
/// interval (1 s) to read the file's data version and, when another connection wrote, the next due time. What the
/// comparison shows is therefore the cost of the schedule rows and of an idle scheduler to the hot paths.
/// </para>
/// <para>
/// Enqueued jobs are kept and claimed ones completed, so the table grows and the pending depth falls by the number of
/// operations in the run (a few tens of thousands with the default job), the same on both sides; the counts are
/// printed at cleanup, with the jobs the schedules made (none).
/// </para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RecurringBenchmarks
{
    public const int ScheduleCount = 1_000;

    private string _path = "";
    private SqliteJobQueue? _queue;
    private IWorker? _worker;
    private SchedulerRun? _scheduler;
    private OrderPayload _payload = BenchmarkData.Payload(0);

    [GlobalSetup(Targets = [nameof(EnqueueNoSchedules), nameof(ClaimCompleteNoSchedules)])]
    public void SetupNoSchedules() => Setup(0);

    [GlobalSetup(Targets = [nameof(Enqueue1000Schedules), nameof(ClaimComplete1000Schedules)])]
    public void SetupSchedules() => Setup(ScheduleCount);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Enqueue")]
    public Task<long> EnqueueNoSchedules() => _queue!.Client.EnqueueAsync(BenchmarkData.JobType, _payload);

    [Benchmark]
    [BenchmarkCategory("Enqueue")]
    public Task<long> Enqueue1000Schedules() => _queue!.Client.EnqueueAsync(BenchmarkData.JobType, _payload);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ClaimComplete")]
    public Task<bool> ClaimCompleteNoSchedules() => ClaimCompleteAsync();

    [Benchmark]
    [BenchmarkCategory("ClaimComplete")]
    public Task<bool> ClaimComplete1000Schedules() => ClaimCompleteAsync();

    [GlobalCleanup]
    public void Cleanup()
    {
        _scheduler?.Dispose();
        using (var connection = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            connection.Open();
            var p = BenchmarkData.Prefix;
            Console.WriteLine($"// at cleanup: {BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}jobs;")} jobs, " +
                              $"{BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}jobs WHERE state = 'pending';")} pending, " +
                              $"{BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}recurring WHERE state = 'active';")} active schedules, " +
                              $"{BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}jobs WHERE recurring_name IS NOT NULL;")} jobs made by schedules");
        }

        _queue?.Dispose();
        BenchmarkData.DeleteDatabase(_path);
    }

    private async Task<bool> ClaimCompleteAsync()
    {
        var jobs = await _worker!.ClaimAsync(1);
        if (jobs.Count != 1)
        {
            throw new InvalidOperationException("Claimed no job: the queue ran dry (the benchmark claims from 100,000 pending jobs and never puts any back).");
        }

        return await _worker.CompleteAsync(jobs[0]);
    }

    private void Setup(int schedules)
    {
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        _queue = BenchmarkData.OpenQueue(_path);
        _worker = _queue.Create(new WorkerOptions { WorkerId = "bench-worker" });
        _payload = BenchmarkData.Payload(BenchmarkData.QueueDepth);
        for (var i = 0; i < schedules; i++)
        {
            _queue.Recurring.UpsertAsync(new RecurringJobDefinition($"s{i}", "work", "0 0 1 1 *") { Overlap = Overlap.Allow })
                .GetAwaiter().GetResult();
        }

        // Both files start with an empty WAL, whatever the upserts wrote.
        using (var checkpoint = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            checkpoint.Open();
            BenchmarkData.Execute(checkpoint, "PRAGMA wal_checkpoint(TRUNCATE);");
        }

        if (schedules > 0)
        {
            _scheduler = SchedulerRun.Start(_queue);
            var next = _queue.Recurring.ListAsync().GetAwaiter().GetResult().Min(s => s.NextRunAt);
            Console.WriteLine($"// {schedules} schedules, the scheduler running; the first is due {next:O}");
        }
        else
        {
            Console.WriteLine("// no schedules, no scheduler");
        }
    }
}

/// <summary><see cref="SqliteJobQueue.RunRecurringSchedulerAsync"/> on the thread pool until disposed.</summary>
internal sealed class SchedulerRun : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private SchedulerRun(SqliteJobQueue queue) => _run = Task.Run(() => queue.RunRecurringSchedulerAsync(_stop.Token));

    public static SchedulerRun Start(SqliteJobQueue queue) => new(queue);

    /// <summary>Stops the scheduler and waits for it; a scheduler that failed throws here.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _run.GetAwaiter().GetResult();
        _stop.Dispose();
    }
}
