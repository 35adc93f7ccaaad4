using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// What the library's traces and metrics cost the hot paths: one enqueue, a claim plus completion of one job, and a
/// small drain through the hosted worker, each with no listener (<see cref="TelemetryListener.None"/>, the baseline),
/// with a bare <see cref="System.Diagnostics.ActivityListener"/> and <see cref="System.Diagnostics.Metrics.MeterListener"/>,
/// and with the OpenTelemetry SDK (see <see cref="TelemetryListener"/>), in one run.
/// </summary>
/// <remarks>
/// <para>
/// BenchmarkDotNet takes a baseline only from a method or a job, never from a parameter value, so the columns
/// "Ratio to None" and "Alloc ratio to None" (<see cref="RatioToNoListenerColumn"/>) put each row's median time and
/// allocation over those of the same operation with <see cref="TelemetryListener.None"/>, from the same run.
/// </para>
/// <para>
/// The listener is installed in the global setup, before the queue is opened, as an application would at start;
/// each benchmark case runs in its own process, so one case's listener never sees another's operations. What the
/// listener saw is printed at cleanup: with no instrumentation in the library, every count is zero and every ratio
/// near 1.
/// </para>
/// <para>
/// <see cref="Enqueue1"/> and <see cref="ClaimComplete1"/> run on a file of pending jobs (100,000, or fewer when
/// <see cref="BenchmarkData.DepthsVariable"/> asks for small files, as CI's dry smoke does), with a hand-driven worker;
/// an un-timed reset before each iteration of <see cref="ClaimComplete1"/> turns the jobs it completed back into
/// pending ones, as <see cref="CountersCostBenchmarks"/> does. <see cref="Drain32"/> is the path where a handler runs:
/// one <see cref="IQueueClient.EnqueueManyAsync{TPayload}(string, IEnumerable{TPayload}, EnqueueOptions?, CancellationToken)"/>
/// of <see cref="DrainCount"/> jobs into an empty queue served by the hosted worker (<c>AddWorker</c>, concurrency 4,
/// a no-op handler), timed until every handler has run and every completion is committed.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(Config))]
[InvocationCount(OperationsPerIteration)]
[WarmupCount(5)]
[IterationCount(30)]
public class TelemetryCostBenchmarks
{
    public const int OperationsPerIteration = 16;
    public const int DrainCount = 32;

    /// <summary>The fewest pending jobs the claim file may hold: every claim of one iteration finds a job.</summary>
    public const int MinimumDepth = OperationsPerIteration * 8;

    private string _path = "";
    private TelemetrySubscription? _telemetry;
    private SqliteJobQueue? _queue;
    private IWorker? _worker;
    private ServiceProvider? _host;
    private IHostedService[] _hosted = [];
    private DrainSignal? _drained;
    private OrderPayload _payload = BenchmarkData.Payload(0);
    private OrderPayload[] _drainPayloads = [];
    private long _highestClaimed;

    [Params(TelemetryListener.None, TelemetryListener.BareListeners, TelemetryListener.OpenTelemetrySdk)]
    public TelemetryListener Listener { get; set; }

    /// <summary>The pending jobs in the claim and enqueue file: <see cref="BenchmarkData.QueueDepth"/>, or fewer when the depth setting asks for smaller files.</summary>
    public static int FileDepth => Math.Clamp(BenchmarkData.Depths().Max(), MinimumDepth, BenchmarkData.QueueDepth);

    [GlobalSetup(Targets = [nameof(Enqueue1), nameof(ClaimComplete1)])]
    public void SetupHandDriven()
    {
        _telemetry = TelemetryListeners.Install(Listener);
        var depth = FileDepth;
        _path = BenchmarkData.CreatePendingFile(depth);
        _queue = BenchmarkData.OpenQueue(_path);
        _worker = _queue.Create(new WorkerOptions { WorkerId = "bench-worker" });
        _payload = BenchmarkData.Payload(depth);
        if (depth >= BenchmarkData.QueueDepth)
        {
            WarmUp(() =>
            {
                EnqueueAsync().GetAwaiter().GetResult();
                ClaimCompleteOneAsync().GetAwaiter().GetResult();
            });
        }
    }

    [GlobalSetup(Target = nameof(Drain32))]
    public void SetupDrain()
    {
        _telemetry = TelemetryListeners.Install(Listener);
        _path = BenchmarkData.NewDatabasePath();
        _drained = new DrainSignal();
        var services = new ServiceCollection().AddSingleton(_drained);
        services.AddSqliteQueue(o => o.ConnectionString = $"Data Source={_path}")
            .AddHandler<OrderPayload, SignallingHandler>(BenchmarkData.JobType)
            .AddWorker(w => w.Concurrency = 4);
        _host = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _queue = _host.GetRequiredService<SqliteJobQueue>();
        _queue.InitializeAsync().GetAwaiter().GetResult();
        _drainPayloads = Enumerable.Range(0, DrainCount).Select(BenchmarkData.Payload).ToArray();
        _hosted = [.. _host.GetServices<IHostedService>()];
        foreach (var service in _hosted)
        {
            service.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        // Warmed only at full size, as the claim file is built only then: the dry smoke has to run to the end, not warm.
        if (FileDepth >= BenchmarkData.QueueDepth)
        {
            WarmUp(() => DrainAsync().GetAwaiter().GetResult());
        }
    }

    [IterationSetup(Target = nameof(ClaimComplete1))]
    public void ResetClaimed()
    {
        OneJobCycle.Reset(_queue!, _path, _highestClaimed);
        _highestClaimed = 0;
    }

    /// <summary>One <see cref="IQueueClient.EnqueueAsync{TPayload}"/>, awaited: the <c>send</c> span and the sent-messages counter.</summary>
    [Benchmark]
    [BenchmarkCategory("Enqueue1")]
    public Task<long> Enqueue1() => EnqueueAsync();

    /// <summary>A hand-driven claim of one job and its completion, each awaited.</summary>
    [Benchmark]
    [BenchmarkCategory("ClaimComplete1")]
    public Task<int> ClaimComplete1() => ClaimCompleteOneAsync();

    /// <summary><see cref="DrainCount"/> jobs enqueued in one call and run by the hosted worker until committed: a <c>process</c> span per job.</summary>
    [Benchmark]
    [BenchmarkCategory("Drain32")]
    public Task Drain32() => DrainAsync();

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var service in _hosted)
        {
            service.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        if (_host is not null)
        {
            _host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        else
        {
            _queue?.Dispose();
        }

        Console.WriteLine($"// {_telemetry?.Describe()}");
        _telemetry?.Dispose();
        BenchmarkData.DeleteDatabase(_path);
    }

    private void WarmUp(Action operation) => OneJobCycle.WarmUp(operation, ResetClaimed, OperationsPerIteration);

    private Task<long> EnqueueAsync() => _queue!.Client.EnqueueAsync(BenchmarkData.JobType, _payload);

    private async Task<int> ClaimCompleteOneAsync()
    {
        _highestClaimed = Math.Max(_highestClaimed, await OneJobCycle.ClaimCompleteAsync(_worker!));
        return 1;
    }

    private async Task DrainAsync()
    {
        var all = _drained!.Expect(DrainCount);
        await _queue!.Client.EnqueueManyAsync(BenchmarkData.JobType, _drainPayloads);
        await all.WaitAsync(TimeSpan.FromSeconds(30));
        await _queue.Client.WaitUntilIdleAsync(QueueNames.Default);
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new RatioToNoListenerColumn(allocation: false), new RatioToNoListenerColumn(allocation: true));
        }
    }
}

/// <summary>
/// Each row's median time, or allocation per operation, over that of the same operation and job with
/// <see cref="TelemetryListener.None"/> in the same summary.
/// </summary>
internal sealed class RatioToNoListenerColumn(bool allocation) : IColumn
{
    public string Id => $"{nameof(RatioToNoListenerColumn)}.{(allocation ? "Alloc" : "Time")}";

    public string ColumnName => allocation ? "Alloc ratio to None" : "Ratio to None";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => allocation ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => allocation
        ? "Allocated bytes per operation over those of the same operation with Listener=None, in this run"
        : "Median time over the median of the same operation with Listener=None, in this run";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var baseline = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.WorkloadMethod == benchmarkCase.Descriptor.WorkloadMethod
            && c.Job.DisplayInfo == benchmarkCase.Job.DisplayInfo
            && c.Parameters[nameof(TelemetryCostBenchmarks.Listener)] is TelemetryListener.None);
        if (baseline is null || summary[benchmarkCase] is not { } mine || summary[baseline] is not { } theirs)
        {
            return "?";
        }

        double? ratio = allocation
            ? Ratio(mine.GcStats.GetBytesAllocatedPerOperation(benchmarkCase), theirs.GcStats.GetBytesAllocatedPerOperation(baseline))
            : Ratio(mine.ResultStatistics?.Median, theirs.ResultStatistics?.Median);
        return ratio?.ToString("0.00", CultureInfo.InvariantCulture) ?? "?";
    }

    private static double? Ratio(double? value, double? baseline) =>
        value is { } v && baseline is { } b && b > 0 ? v / b : null;
}

/// <summary>Completes a task when the expected number of jobs has been handled since <see cref="Expect"/>.</summary>
internal sealed class DrainSignal
{
    private TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining;

    public Task Expect(int jobs)
    {
        _all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _remaining, jobs);
        return _all.Task;
    }

    public void OnHandled()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _all.TrySetResult();
        }
    }
}

/// <summary>The drain's no-op handler: it only counts.</summary>
internal sealed class SignallingHandler(DrainSignal signal) : IJobHandler<OrderPayload>
{
    public Task HandleAsync(JobContext<OrderPayload> job, CancellationToken cancellationToken)
    {
        signal.OnHandled();
        return Task.CompletedTask;
    }
}
