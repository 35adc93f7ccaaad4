using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// Adding jobs to a file-backed queue that already holds 100,000 pending jobs, through the client and, as the
/// baselines, through the same INSERT statement prepared once on a plain Microsoft.Data.Sqlite connection over a
/// table with the same schema and indexes (the queue's own migration script), with the same PRAGMAs. Both start from
/// identical files built by <see cref="BenchmarkData.CreatePendingFile"/>. <see cref="CApiInsert"/> is the engine's
/// limit for one job: the bare C-API sequence (prepared BEGIN IMMEDIATE, INSERT and COMMIT through SQLitePCLRaw, the
/// payload bound as UTF-8), on a file built the same way.
/// </summary>
/// <remarks>
/// Jobs are never removed, so the table grows during the run by however many operations the benchmark runs
/// (the count is printed at cleanup); the depth is "100,000 and up", the same for the queue and the baseline.
/// Each single enqueue is its own transaction and commit (WAL, synchronous=NORMAL), so the WAL auto-checkpoint
/// falls inside the measured operations, as it does in use.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
#pragma warning disable CA1001 // BenchmarkDotNet releases what a benchmark holds in its [GlobalCleanup], not through IDisposable.
public class EnqueueBenchmarks
#pragma warning restore CA1001
{
    public const int ManyCount = 1_000;

    private string _path = "";
    private SqliteJobQueue? _queue;
    private SqliteConnection? _raw;
    private SqliteCommand? _rawInsert;
    private EndToEnd.CApiInsert? _cApi;
    private byte[] _payloadUtf8 = [];
    private OrderPayload _payload = BenchmarkData.Payload(0);
    private string _payloadJson = "";
    private OrderPayload[] _manyPayloads = [];
    private string[] _manyJson = [];

    [GlobalSetup(Targets = [nameof(EnqueueAsync), nameof(EnqueueJsonAsync), nameof(EnqueueManyAsync)])]
    public void SetupQueue()
    {
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        _queue = BenchmarkData.OpenQueue(_path);
        SetupPayloads(_queue.Store.Options);
    }

    /// <summary>The same queue with the wake-up file off: the difference to <see cref="EnqueueAsync"/> is the touch (see <see cref="SqliteQueueOptions.CrossProcessWake"/>).</summary>
    [GlobalSetup(Target = nameof(EnqueueWakeOffAsync))]
    public void SetupQueueWakeOff()
    {
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        _queue = BenchmarkData.OpenQueue(_path, configure: o => o.CrossProcessWake = false);
        SetupPayloads(_queue.Store.Options);
    }

    [GlobalSetup(Targets = [nameof(RawInsert), nameof(RawInsertMany)])]
    public void SetupRaw()
    {
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        _raw = BenchmarkData.OpenRawConnection(_path);
        _rawInsert = BenchmarkData.PrepareRawInsert(_raw);
        SetupPayloads(new SqliteQueueOptions());
    }

    [GlobalSetup(Target = nameof(CApiInsert))]
    public void SetupCApi()
    {
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        _cApi = new EndToEnd.CApiInsert(_path);
        SetupPayloads(new SqliteQueueOptions());
        _payloadUtf8 = System.Text.Encoding.UTF8.GetBytes(_payloadJson);
    }

    /// <summary>One row, one transaction: BEGIN IMMEDIATE, the prepared INSERT ... RETURNING id, COMMIT.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Single")]
    public long RawInsert()
    {
        using var tx = _raw!.BeginTransaction();
        _rawInsert!.Transaction = tx;
        var id = BenchmarkData.RawInsert(_rawInsert, _payloadJson, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        tx.Commit();
        return id;
    }

    /// <summary>The same row and transaction through SQLite's C API: every statement prepared once, nothing looked up by name.</summary>
    [Benchmark]
    [BenchmarkCategory("Single")]
    public long CApiInsert() => _cApi!.Run(_payloadUtf8, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    /// <summary>One typed payload: serialization, validation, and the write.</summary>
    [Benchmark]
    [BenchmarkCategory("Single")]
    public Task<long> EnqueueAsync() => _queue!.Client.EnqueueAsync(BenchmarkData.JobType, _payload);

    /// <summary>As <see cref="EnqueueAsync"/>, without the wake-up file's touch after the commit.</summary>
    [Benchmark]
    [BenchmarkCategory("Single")]
    public Task<long> EnqueueWakeOffAsync() => _queue!.Client.EnqueueAsync(BenchmarkData.JobType, _payload);

    /// <summary>One payload given as JSON text: validation (the JSON is checked) and the write.</summary>
    [Benchmark]
    [BenchmarkCategory("Single")]
    public Task<long> EnqueueJsonAsync() => _queue!.Client.EnqueueJsonAsync(BenchmarkData.JobType, _payloadJson);

    /// <summary>1,000 rows in one transaction with the prepared INSERT, payloads already serialized.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Many1000")]
    public long RawInsertMany()
    {
        using var tx = _raw!.BeginTransaction();
        _rawInsert!.Transaction = tx;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long last = 0;
        foreach (var json in _manyJson)
        {
            last = BenchmarkData.RawInsert(_rawInsert, json, 0, now);
        }

        tx.Commit();
        return last;
    }

    /// <summary>1,000 typed payloads in one call and one transaction.</summary>
    [Benchmark]
    [BenchmarkCategory("Many1000")]
    public Task<IReadOnlyList<long>> EnqueueManyAsync() => _queue!.Client.EnqueueManyAsync(BenchmarkData.JobType, _manyPayloads);

    [GlobalCleanup]
    public void Cleanup()
    {
        using (var connection = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            connection.Open();
            Console.WriteLine($"// jobs at cleanup: {BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {BenchmarkData.Prefix}jobs;")}");
        }

        _cApi?.Dispose();
        _rawInsert?.Dispose();
        _raw?.Dispose();
        _queue?.Dispose();
        BenchmarkData.DeleteDatabase(_path);
    }

    private void SetupPayloads(SqliteQueueOptions options)
    {
        _payload = BenchmarkData.Payload(BenchmarkData.QueueDepth);
        _payloadJson = BenchmarkData.PayloadJson(BenchmarkData.QueueDepth, options);
        _manyPayloads = Enumerable.Range(BenchmarkData.QueueDepth, ManyCount).Select(BenchmarkData.Payload).ToArray();
        _manyJson = _manyPayloads.Select(p => System.Text.Json.JsonSerializer.Serialize(p, options.JsonSerializerOptions)).ToArray();
        Console.WriteLine($"// payload: {_payloadJson.Length} characters: {_payloadJson}");
    }
}
