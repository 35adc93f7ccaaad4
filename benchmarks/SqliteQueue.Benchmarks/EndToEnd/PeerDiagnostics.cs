using System.Diagnostics;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// <c>peer --diagnostics</c>: repeats the drains with counters attached, to show where the time goes. Not part of the
/// timed figures: it counts the claims (the store's "claimed {Count} jobs" log event) and the transactions the
/// writer connection commits (an SQLite commit hook), and times the parts of one claim-and-settle cycle.
/// </summary>
internal static class PeerDiagnostics
{
    /// <summary><c>peer-diag [jobs] [concurrency...]</c>: the drain counters alone, for tuning.</summary>
    public static async Task<int> DrainCountersAsync(IReadOnlyList<string> args)
    {
        var jobs = args.Count > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        foreach (var concurrency in args.Count > 1 ? args.Skip(1).Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)) : [4])
        {
            await DrainWithCountersAsync(jobs, concurrency);
        }

        return 0;
    }

    public static async Task RunAsync(int jobs)
    {
        foreach (var concurrency in new[] { 1, 4, 16 })
        {
            await DrainWithCountersAsync(jobs, concurrency);
        }

        await LatencyBreakdownAsync(100);
    }

    private static async Task DrainWithCountersAsync(int jobs, int concurrency)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            var probe = new DrainProbe(jobs);
            var counters = new ClaimCounter();
            await using var provider = PeerBenchmark.BuildHost(
                path, SynchronousMode.Normal, w => w.Concurrency = concurrency, probe, new LatencyProbe(),
                s => s.AddSingleton<ILoggerFactory>(counters));
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await PeerBenchmark.FillAsync(queue, jobs);

            var writer = (SqliteConnection)typeof(JobStore).GetField("_writer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(queue.Store)!;
            long commits = 0;
            SQLitePCL.raw.sqlite3_commit_hook(writer.Handle, _ =>
            {
                Interlocked.Increment(ref commits);
                return 0;
            }, null);
            var sqlNs = new Dictionary<string, (long Count, long Ns)>(StringComparer.Ordinal);
            SQLitePCL.raw.sqlite3_profile(writer.Handle, (SQLitePCL.strdelegate_profile)((_, sql, ns) =>
            {
                // Runs on the writer's thread, inside the store's write gate: one at a time.
                var kind = Kind(sql);
                var (count, total) = sqlNs.GetValueOrDefault(kind);
                sqlNs[kind] = (count + 1, total + ns);
            }), null);

            var hosted = provider.GetServices<IHostedService>().ToArray();
            var watch = Stopwatch.StartNew();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            await probe.AllHandled.Task.WaitAsync(TimeSpan.FromMinutes(10));
            await queue.Client.WaitUntilIdleAsync(QueueNames.Default);
            watch.Stop();
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            SQLitePCL.raw.sqlite3_commit_hook(writer.Handle, null, null);
            SQLitePCL.raw.sqlite3_profile(writer.Handle, (SQLitePCL.strdelegate_profile?)null, null);
            var sqlMs = sqlNs.Values.Sum(v => v.Ns) / 1e6;
            var breakdown = string.Join("; ", sqlNs.OrderByDescending(kv => kv.Value.Ns)
                .Select(kv => $"{kv.Key} {kv.Value.Count:N0}x {kv.Value.Ns / 1e3 / kv.Value.Count:F1} us = {kv.Value.Ns / 1e6:F0} ms"));
            var claims = counters.Claims;
            var claimed = counters.Claimed;
            var hist = string.Join(", ", counters.Histogram().Select(kv => $"{kv.Key}:{kv.Value}"));
            PeerBenchmark.Print(
                $"diag drain c={concurrency,2}: {jobs / watch.Elapsed.TotalSeconds:N0} jobs/s; {claims:N0} non-empty claims, {claimed / (double)claims:F2} jobs/claim " +
                $"(batch size:count {hist}); writer commits {commits:N0} = {commits / (double)jobs:F3} per job, " +
                $"{(jobs + claims) / (double)commits:F2} writes per commit (claims + completions)");
            PeerBenchmark.Print(
                $"diag drain c={concurrency,2}: wall {watch.Elapsed.TotalMilliseconds:F0} ms, SQLite statements on the writer {sqlMs:F0} ms " +
                $"({100 * sqlMs / watch.Elapsed.TotalMilliseconds:F0} %, {sqlMs * 1e3 / jobs:F1} us/job): {breakdown}");
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    /// <summary>
    /// In-process enqueue to handler start, cut at the writer's commits: t0 before EnqueueAsync, the enqueue's commit,
    /// EnqueueAsync returning, the claim's commit, the handler's first line. Commit times come from the commit hook,
    /// which SQLite calls as the commit begins.
    /// </summary>
    private static async Task LatencyBreakdownAsync(int samples)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            var probe = new LatencyProbe();
            await using var provider = PeerBenchmark.BuildHost(path, SynchronousMode.Normal, _ => { }, new DrainProbe(int.MaxValue), probe);
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await queue.InitializeAsync();
            var writer = (SqliteConnection)typeof(JobStore).GetField("_writer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(queue.Store)!;
            var commits = new System.Collections.Concurrent.ConcurrentQueue<long>();
            SQLitePCL.raw.sqlite3_commit_hook(writer.Handle, _ =>
            {
                commits.Enqueue(Stopwatch.GetTimestamp());
                return 0;
            }, null);
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            var parts = new List<double[]>();
            for (var seq = 0; seq < samples + 5; seq++)
            {
                await Task.Delay(15);
                commits.Clear();
                var t0 = Stopwatch.GetTimestamp();
                await queue.Client.EnqueueAsync(PeerBenchmark.LatencyJobType, new LatencyPayload(t0, seq));
                var returned = Stopwatch.GetTimestamp();
                var total = await probe.WaitAsync(seq, TimeSpan.FromSeconds(30));
                await Task.Delay(5);
                var c = commits.ToArray();
                if (seq < 5 || c.Length < 2)
                {
                    continue;
                }

                double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
                parts.Add([Ms(t0, c[0]), Ms(c[0], returned), Ms(c[0], c[1]), total - Ms(t0, c[1]), total]);
            }

            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            SQLitePCL.raw.sqlite3_commit_hook(writer.Handle, null, null);
            double Median(int i) => parts.Select(p => p[i]).Order().ElementAt(parts.Count / 2);
            PeerBenchmark.Print(
                $"diag in-process latency, medians of {parts.Count}: enqueue call -> its commit {Median(0):F3} ms; " +
                $"that commit -> EnqueueAsync returns {Median(1):F3} ms; that commit -> the claim's commit {Median(2):F3} ms; " +
                $"claim commit -> handler start {Median(3):F3} ms; total {Median(4):F3} ms");
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    private static string Kind(string sql)
    {
        var text = sql.TrimStart();
        return text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase) && text.Contains("RETURNING id,", StringComparison.Ordinal) ? "claim"
            : text.StartsWith("INSERT INTO", StringComparison.OrdinalIgnoreCase) && text.Contains("'completed'", StringComparison.Ordinal) ? "complete-history-insert"
            : text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase) && text.Contains("state = 'completed'", StringComparison.Ordinal) ? "complete-update"
            : text.StartsWith("SELECT EXISTS", StringComparison.OrdinalIgnoreCase) ? "lease-probe"
            : text.Split(' ', 2)[0].TrimEnd(';').ToUpperInvariant();
    }

    /// <summary>A logger factory that only counts the store's "claimed {Count} jobs" events (id 2001).</summary>
    private sealed class ClaimCounter : ILoggerFactory, ILogger
    {
        private readonly Lock _lock = new();
        private readonly SortedDictionary<int, int> _sizes = [];
        private long _claims;
        private long _claimed;

        public long Claims => Interlocked.Read(ref _claims);

        public long Claimed => Interlocked.Read(ref _claimed);

        public SortedDictionary<int, int> Histogram()
        {
            lock (_lock)
            {
                return new SortedDictionary<int, int>(_sizes);
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != 2001 || state is not IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                return;
            }

            var count = fields.FirstOrDefault(f => f.Key == "Count").Value is int c ? c : 0;
            Interlocked.Increment(ref _claims);
            Interlocked.Add(ref _claimed, count);
            lock (_lock)
            {
                _sizes[count] = _sizes.GetValueOrDefault(count) + 1;
            }
        }
    }
}
