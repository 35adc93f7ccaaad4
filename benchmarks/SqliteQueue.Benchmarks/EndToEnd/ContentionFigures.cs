using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>Enqueue latency of one run, in milliseconds, and how many calls took longer than 5 and 50 ms.</summary>
internal sealed record EnqueueLatency(double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, int Over5Ms, int Over50Ms)
{
    public static EnqueueLatency From(double[] ms)
    {
        var sorted = ms.Order().ToArray();
        return new EnqueueLatency(
            At(sorted, 0.50), At(sorted, 0.90), At(sorted, 0.99), At(sorted, 0.999), Math.Round(sorted[^1], 3),
            sorted.Count(v => v > 5), sorted.Count(v => v > 50));
    }

    /// <summary>Linear interpolation between closest ranks, as <see cref="LatencyFigure"/> does.</summary>
    private static double At(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return Math.Round(sorted[low] + ((rank - low) * (sorted[high] - sorted[low])), 3);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"p50 {P50Ms:F3} p90 {P90Ms:F3} p99 {P99Ms:F3} p99.9 {P999Ms:F3} max {MaxMs:F3} ms; {Over5Ms} over 5 ms, {Over50Ms} over 50 ms");
}

/// <summary>One run: one busy handler, one fresh file, one set of worker processes.</summary>
internal sealed record ContentionRun(
    int Round, string BusyHandler, int Enqueues, double Seconds, EnqueueLatency Latency, double DrainPerSecond, bool DrainedDry,
    int Failures, int ProducerBusyRetries, int WorkerBusyRetries, IReadOnlyList<string>? WorkerWrites, EnqueueLatency ProducerLockWait)
{
    public override string ToString()
    {
        var dry = DrainedDry ? " (ran out of jobs: raise --jobs)" : "";
        var writes = WorkerWrites is null ? "" : "; worker writes: " + string.Join(" | ", WorkerWrites);
        return string.Create(CultureInfo.InvariantCulture,
            $"  round {Round} {BusyHandler,-6}: enqueue {Latency}; of which waiting for the lock {ProducerLockWait}; drain {DrainPerSecond:N0} jobs/s{dry}; {Failures} failed, busy retries {ProducerBusyRetries} producer / {WorkerBusyRetries} workers{writes}");
    }
}

/// <summary>The medians over the runs of one busy handler.</summary>
internal sealed record ContentionSummary(string BusyHandler, int Runs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, double Over5Ms, double Over50Ms, double DrainPerSecond)
{
    public static ContentionSummary Of(string handler, List<ContentionRun> runs) => new(
        handler, runs.Count,
        Median(runs.Select(r => r.Latency.P50Ms)), Median(runs.Select(r => r.Latency.P90Ms)), Median(runs.Select(r => r.Latency.P99Ms)),
        Median(runs.Select(r => r.Latency.P999Ms)), Median(runs.Select(r => r.Latency.MaxMs)),
        Median(runs.Select(r => (double)r.Latency.Over5Ms)), Median(runs.Select(r => (double)r.Latency.Over50Ms)),
        Median(runs.Select(r => r.DrainPerSecond)));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return Math.Round(sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2, 3);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{BusyHandler} (median of {Runs}): enqueue p50 {P50Ms:F3} p90 {P90Ms:F3} p99 {P99Ms:F3} p99.9 {P999Ms:F3} max {MaxMs:F3} ms; over 5 ms {Over5Ms}, over 50 ms {Over50Ms}; drain {DrainPerSecond:N0} jobs/s");
}

/// <summary>
/// How long this process's writer held the write lock per transaction: from the end of its <c>BEGIN IMMEDIATE</c>
/// (the lock is taken; the time it waited for it is left out) to the end of its <c>COMMIT</c> or <c>ROLLBACK</c>, from
/// SQLite's per-statement profile callback (a string per statement).
/// </summary>
internal sealed class LockHoldTrace
{
    private readonly List<(long End, double Ms)> _holds = new(1 << 16);
    private readonly SQLitePCL.strdelegate_profile _callback;
    private long _acquired;

    private LockHoldTrace() => _callback = OnStatement;

    public static async Task<LockHoldTrace> AttachAsync(SqliteJobQueue queue)
    {
        var trace = new LockHoldTrace();
        await queue.SqliteStore.WriteAsync(trace, static (_, tx, t) =>
        {
            SQLitePCL.raw.sqlite3_profile(tx.Connection!.Handle, t._callback, null);
            return 0;
        }, CancellationToken.None);
        return trace;
    }

    /// <summary>"holds=N,p50=..,p99=..,max=..,busy=..%": the holds that ended in the window, and the share of the window they cover.</summary>
    public string Between(long from, long to)
    {
        List<double> ms;
        lock (_holds)
        {
            ms = _holds.Where(h => h.End >= from && h.End < to).Select(h => h.Ms).ToList();
        }

        if (ms.Count == 0)
        {
            return "holds=0";
        }

        var figure = LatencyFigure.From(ms);
        var share = 100 * ms.Sum() / Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture, $"holds={ms.Count},p50={figure.P50Ms:F3},p99={figure.P99Ms:F3},max={figure.MaxMs:F3}ms,held={share:F0}%");
    }

    // Runs on whichever thread runs the writer's statement; the store runs one write at a time, so no two overlap.
    private void OnStatement(object userData, string statement, long nanoseconds)
    {
        var now = Stopwatch.GetTimestamp();
        var sql = statement.AsSpan().TrimStart();
        if (sql.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase))
        {
            _acquired = now;
        }
        else if (_acquired != 0 && (sql.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase) || sql.StartsWith("END", StringComparison.OrdinalIgnoreCase)
            || (sql.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase) && !sql.Contains(" TO ", StringComparison.OrdinalIgnoreCase))))
        {
            lock (_holds)
            {
                _holds.Add((now, Stopwatch.GetElapsedTime(_acquired, now).TotalMilliseconds));
            }

            _acquired = 0;
        }
    }
}

/// <summary>
/// Records this process's <c>sqlitequeue.db.lock.wait.duration</c> measurements, in milliseconds: how long each commit
/// waited for the write lock, so a slow enqueue can be told apart from a slow commit or a late thread.
/// </summary>
internal sealed class LockWaitRecorder : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly List<double> _values = new(1 << 16);

    public LockWaitRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "SqliteQueue" && instrument.Name == "sqlitequeue.db.lock.wait.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            lock (_values)
            {
                _values.Add(seconds * 1000);
            }
        });
        _listener.Start();
    }

    public double[] Values
    {
        get
        {
            lock (_values)
            {
                return _values.Count == 0 ? [0] : [.. _values];
            }
        }
    }

    public void Clear()
    {
        lock (_values)
        {
            _values.Clear();
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>Counts the store's busy retries (log event 1002) and drops every other log line.</summary>
internal sealed class BusyRetryLog : ILoggerFactory, ILogger
{
    private int _retries;

    public int Retries => Volatile.Read(ref _retries);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (eventId.Id == 1002)
        {
            Interlocked.Increment(ref _retries);
        }
    }

    public void Dispose()
    {
    }
}
