using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using SqliteQueue.Benchmarks.EndToEnd;

// `peer` runs the end-to-end measurements in real time and prints one JSON line at the end; `peer-enqueue` is the
// helper process it starts for the cross-process latency; `peer-wake` runs only the wake-up file's on/off figures; `peer-drain [jobs] [concurrency...] [--telemetry
// none|listener|otel]` runs only the drain, with a listener on the queue's traces and metrics when asked (see
// benchmarks/telemetry-cost.sh); `peer-w1 [jobs] [rounds]` runs only the enqueue rate against its two baselines
// (alternated); `recurring-latency [seconds]` measures, in real time, how
// late the scheduler fires an every-second schedule, and `recurring-hotpath [rounds]` compares enqueue and claim with
// and without 1,000 schedules in one process, in alternating blocks. `prune-load`, `wal-reader` and `backup-load` run
// the maintenance operations beside a producer and workers (see their classes). `complete-forms [rounds]` compares
// a batch of completions written one statement per job and set-based (see CompleteForms). `peer-contention` times
// enqueues one at a time while worker processes (`peer-contention-worker`, its helper) drain the same file, and reports
// their drain rate (see ContentionProbe). `admin-depth` times the reads of an operator tool and a dashboard on a
// 1,000,000-job file (see AdminDepth); `dashboard-depth` makes every request of the dashboard's pages over HTTP on the
// same file (see DashboardDepth). `peer-pg [--connection CS] [--jobs N] [--latency-samples N] [--rounds R]` runs W1, W2
// and W3 on the PostgreSQL store, a raw-SQL baseline, graphile-worker and pg-boss (benchmarks/peers-pg, after `npm ci`
// there) on one server, in interleaved rounds; `peer-pg-diag [--jobs N]` shows where a drain's time goes on the server
// (see PeerPostgreSql). Anything else goes to BenchmarkDotNet.
switch (args)
{
    case ["peer", .. var rest]:
        return await PeerBenchmark.RunAsync(rest);
    case ["peer-enqueue", .. var rest]:
        return await PeerBenchmark.EnqueueHelperAsync(rest);
    case ["peer-diag", .. var rest]:
        return await PeerDiagnostics.DrainCountersAsync(rest);
    case ["peer-latency", .. var rest]:
        return await PeerBenchmark.LatencyOnlyAsync(rest);
    case ["complete-forms", .. var rest]:
        return await CompleteForms.RunAsync(rest);
    case ["peer-wake", .. var rest]:
        return await PeerBenchmark.WakeOnlyAsync(rest);
    case ["peer-drain", .. var rest]:
        return await PeerBenchmark.DrainOnlyAsync(rest);
    case ["peer-w1", .. var rest]:
        return await PeerBenchmark.EnqueueOnlyAsync(rest);
    case ["recurring-latency", .. var rest]:
        return await RecurringLatencyProbe.RunAsync(rest);
    case ["recurring-hotpath", .. var rest]:
        return await RecurringHotPathProbe.RunAsync(rest);
    case ["prune-load", .. var rest]:
        return await PruneLoadProbe.RunAsync(rest);
    case ["wal-reader", .. var rest]:
        return await WalReaderProbe.RunAsync(rest);
    case ["backup-load", .. var rest]:
        return await BackupLoadProbe.RunAsync(rest);
    case ["peer-contention", .. var rest]:
        return await ContentionProbe.RunAsync(rest);
    case ["peer-contention-worker", .. var rest]:
        return await ContentionProbe.WorkerAsync(rest);
    case ["admin-depth", .. var rest]:
        return await SqliteQueue.Benchmarks.AdminDepth.RunAsync(rest);
    case ["peer-pg", .. var rest]:
        return await PeerPostgreSql.RunAsync(rest);
    case ["peer-pg-diag", .. var rest]:
        return await PeerPostgreSql.DiagnoseAsync(rest);
    case ["dashboard-depth", .. var rest]:
        return await SqliteQueue.Benchmarks.DashboardDepth.RunAsync(rest);
}

// `--depths 1000[,100000...]` limits the claim benchmarks' queue depths (the same as SQLITEQUEUE_BENCH_DEPTHS); it is
// read here and not passed on to BenchmarkDotNet.
var depthsAt = Array.FindIndex(args, a => a == "--depths");
if (depthsAt >= 0)
{
    if (depthsAt + 1 >= args.Length)
    {
        await Console.Error.WriteLineAsync("--depths needs a comma-separated list of queue depths, for example --depths 1000");
        return 2;
    }

    Environment.SetEnvironmentVariable(SqliteQueue.Benchmarks.BenchmarkData.DepthsVariable, args[depthsAt + 1]);
    args = [.. args[..depthsAt], .. args[(depthsAt + 2)..]];
}

// A short job keeps a full run near 10 minutes on two cores (most of it starting processes and building the
// 1,000,000-job files). Three launches per benchmark: on this kind of machine the figures differ more between two
// processes than between two iterations of one, so each result pools three processes. A job named on the command
// line (for example `--job Dry` in CI) is used instead of it: BenchmarkDotNet would otherwise take the config's job as the base job
// and ignore the command line's.
var jobNamed = args.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal));
var config = DefaultConfig.Instance.AddColumn(StatisticColumn.P50, StatisticColumn.P95);
if (!jobNamed)
{
    config = config.AddJob(Job.Default
        .WithLaunchCount(3)
        .WithWarmupCount(3)
        .WithIterationCount(10)
        .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
        .WithId("Short")
        .AsDefault());
}

// A benchmark that threw (its row shows NA) or a validation error makes the exit code 1, so a smoke run can tell.
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config).ToArray();
var failed = summaries.Where(s => s.HasCriticalValidationErrors).Select(s => s.Title)
    .Concat(summaries.SelectMany(s => s.Reports).Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo))
    .ToArray();
foreach (var name in failed)
{
    await Console.Error.WriteLineAsync($"benchmark failed: {name}");
}

return failed.Length == 0 ? 0 : 1;
