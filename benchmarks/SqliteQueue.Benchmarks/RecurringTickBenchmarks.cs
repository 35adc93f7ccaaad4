using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Recurring;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Recurring;
using SqliteQueue.Recurring;

namespace SqliteQueue.Benchmarks;

/// <summary>
/// What the scheduler's tick costs per due schedule: one tick (<c>RecurringScheduler.TickAsync</c>, one write
/// transaction) with 1 schedule due and with <see cref="ManyDue"/> due (one full tick batch), against, as the
/// baseline, what a hand-written scheduler that already knows which schedules are due would run for the same
/// occurrences: per occurrence the queue's own job INSERT and schedule UPDATE, prepared once, all in one
/// <c>BEGIN IMMEDIATE</c> transaction. The 64-schedule figures are per schedule (OperationsPerInvoke).
/// </summary>
/// <remarks>
/// <para>
/// The file holds 100,000 pending jobs (<see cref="BenchmarkData.CreatePendingFile"/>) and 1 or 64 schedules
/// <c>*/1 * * * * *</c> (every second, <see cref="Overlap.Allow"/>), created through the queue, so the library and the
/// baseline start from identical files. The queue's clock is a <see cref="ManualTimeProvider"/> that each operation
/// moves on by one second, so every schedule has exactly one on-time occurrence due at every tick; the baseline
/// moves its own "now" the same way. Each tick's jobs are kept, so the table grows by the schedules fired.
/// </para>
/// <para>
/// Each schedule's history starts full (<see cref="RecurringStore.HistoryKept"/> entries, written directly at
/// setup), as for a schedule that has run for a while: every tick then writes one entry per schedule and trims one.
/// </para>
/// <para>
/// The baseline runs, per occurrence, <c>RecurringSql.InsertJob</c> (the same row, so the same indexes, the two
/// recurring ones included) and <c>RecurringSql.Advance</c> (the compare-and-set of the schedule row). The tick also
/// finds the due schedules (one indexed SELECT of whole rows), computes each next occurrence from the cron
/// expression and applies the misfire and overlap policies, writes and trims the history, and passes the store's
/// write gate; with <see cref="Overlap.Allow"/> it runs no overlap query.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class RecurringTickBenchmarks
{
    /// <summary>Schedules due at once in the larger case: as many as one tick handles in its transaction.</summary>
    public const int ManyDue = RecurringTick.BatchSize;

    private const string Schedule = "*/1 * * * * *";
    private const string JobType = "work";
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private string _path = "";
    private int _due;
    private ManualTimeProvider? _clock;
    private SqliteJobQueue? _queue;
    private SqliteConnection? _raw;
    private SqliteCommand? _rawInsert;
    private SqliteCommand? _rawAdvance;
    private string[] _names = [];
    private long _rawNowMs;

    [GlobalSetup(Target = nameof(Tick1))]
    public void SetupTick1() => SetupQueue(1);

    [GlobalSetup(Target = nameof(Tick64))]
    public void SetupTick64() => SetupQueue(ManyDue);

    [GlobalSetup(Target = nameof(RawFire1))]
    public void SetupRaw1() => SetupRaw(1);

    [GlobalSetup(Target = nameof(RawFire64))]
    public void SetupRaw64() => SetupRaw(ManyDue);

    /// <summary>One occurrence: one job INSERT and one schedule UPDATE in one transaction.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Due1")]
    public long RawFire1() => RawFire();

    /// <summary>One tick with one schedule due.</summary>
    [Benchmark]
    [BenchmarkCategory("Due1")]
    public Task<int> Tick1() => TickAsync();

    /// <summary>64 occurrences of 64 schedules: 64 job INSERTs and 64 schedule UPDATEs in one transaction; per schedule.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = ManyDue)]
    [BenchmarkCategory("Due64")]
    public long RawFire64() => RawFire();

    /// <summary>One tick with 64 schedules due; per schedule.</summary>
    [Benchmark(OperationsPerInvoke = ManyDue)]
    [BenchmarkCategory("Due64")]
    public Task<int> Tick64() => TickAsync();

    [GlobalCleanup]
    public void Cleanup()
    {
        _rawInsert?.Dispose();
        _rawAdvance?.Dispose();
        _raw?.Dispose();
        _queue?.Dispose();
        using (var connection = new SqliteConnection($"Data Source={_path};Pooling=False"))
        {
            connection.Open();
            var p = BenchmarkData.Prefix;
            Console.WriteLine($"// at cleanup: {BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}jobs WHERE recurring_name IS NOT NULL;")} jobs made by {_due} schedule(s), " +
                              $"{BenchmarkData.Scalar(connection, $"SELECT COALESCE(SUM(occurrences), 0) FROM {p}recurring;")} occurrences counted on the schedule rows, " +
                              $"{BenchmarkData.Scalar(connection, $"SELECT COUNT(*) FROM {p}recurring_log;")} history entries");
        }

        BenchmarkData.DeleteDatabase(_path);
    }

    private async Task<int> TickAsync()
    {
        _clock!.Advance(Second);
        var result = await _queue!.Scheduler.TickAsync(CancellationToken.None);
        if (result.Events.Count != _due || result.Events[^1].Outcome != RecurringOutcome.Fired)
        {
            throw new InvalidOperationException($"The tick did {result.Events.Count} things (the last {result.Events.LastOrDefault().Outcome}), expected {_due} on-time firings.");
        }

        return result.Events.Count;
    }

    private long RawFire()
    {
        var now = _rawNowMs += 1_000;
        using var tx = _raw!.BeginTransaction();
        _rawInsert!.Transaction = tx;
        _rawAdvance!.Transaction = tx;
        var insert = _rawInsert.Parameters;
        var advance = _rawAdvance.Parameters;
        insert["@occurrence_at"].Value = now;
        insert["@now"].Value = now;
        advance["@seen"].Value = now;
        advance["@next"].Value = now + 1_000;
        advance["@last"].Value = now;
        advance["@now"].Value = now;
        long id = 0;
        foreach (var name in _names)
        {
            insert["@name"].Value = name;
            id = (long)_rawInsert.ExecuteScalar()!;
            advance["@name"].Value = name;
            advance["@job_id"].Value = id;
            if (_rawAdvance.ExecuteNonQuery() != 1)
            {
                throw new InvalidOperationException($"Schedule {name} was not at {now}.");
            }
        }

        tx.Commit();
        return id;
    }

    private void SetupQueue(int due)
    {
        var start = CreateFile(due);
        _clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(start));
        _queue = BenchmarkData.OpenQueue(_path, _clock);
        Console.WriteLine($"// {due} schedule(s) due every second; the manual clock at {_clock.GetUtcNow():O}");
    }

    private void SetupRaw(int due)
    {
        _rawNowMs = CreateFile(due);
        _raw = BenchmarkData.OpenRawConnection(_path);

        _rawInsert = _raw.CreateCommand();
        _rawInsert.CommandText = SqlText.Render(RecurringSql.InsertJob, BenchmarkData.Prefix);
        foreach (var name in new[] { "@queue", "@type", "@payload", "@priority", "@now", "@max_attempts", "@timeout_ms", "@name", "@occurrence_at", "@missed" })
        {
            _rawInsert.Parameters.Add(new SqliteParameter(name, null));
        }

        // What the queue writes for these schedules' jobs: the definition's defaults.
        _rawInsert.Parameters["@queue"].Value = QueueNames.Default;
        _rawInsert.Parameters["@type"].Value = JobType;
        _rawInsert.Parameters["@payload"].Value = "{}";
        _rawInsert.Parameters["@priority"].Value = 0;
        _rawInsert.Parameters["@max_attempts"].Value = new SqliteQueueOptions().DefaultMaxAttempts;
        _rawInsert.Parameters["@timeout_ms"].Value = DBNull.Value;
        _rawInsert.Parameters["@missed"].Value = 0;
        _rawInsert.Prepare();

        _rawAdvance = _raw.CreateCommand();
        _rawAdvance.CommandText = SqlText.Render(RecurringSql.Advance, BenchmarkData.Prefix);
        foreach (var name in new[] { "@name", "@seen", "@next", "@last", "@job_id", "@fired", "@now" })
        {
            _rawAdvance.Parameters.Add(new SqliteParameter(name, null));
        }

        _rawAdvance.Parameters["@fired"].Value = 1;
        _rawAdvance.Prepare();
        Console.WriteLine($"// {due} schedule(s) due every second; raw statements, now at {DateTimeOffset.FromUnixTimeMilliseconds(_rawNowMs):O}");
    }

    /// <summary>
    /// Builds the file both sides start from: 100,000 pending jobs, <paramref name="due"/> schedules created through
    /// the queue at a whole second (so each is next due one second later), and a full history per schedule. Returns
    /// that second, in Unix milliseconds.
    /// </summary>
    private long CreateFile(int due)
    {
        _due = due;
        _names = Enumerable.Range(0, due).Select(i => $"s{i}").ToArray();
        _path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1_000 * 1_000;
        using (var queue = new SqliteJobQueue(BenchmarkData.QueueOptions(_path), new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(start))))
        {
            queue.InitializeAsync().GetAwaiter().GetResult();
            foreach (var name in _names)
            {
                var info = queue.Recurring.UpsertAsync(new RecurringJobDefinition(name, JobType, Schedule) { Overlap = Overlap.Allow })
                    .GetAwaiter().GetResult();
                if (info.NextRunAt?.ToUnixTimeMilliseconds() != start + 1_000)
                {
                    throw new InvalidOperationException($"Schedule {name} is next due {info.NextRunAt:O}, expected one second after {start}.");
                }
            }

            // Entry k of each schedule is (kept - k + 1) seconds before the start, the schedules interleaved as ticks write them.
            var kept = RecurringStore.HistoryKept;
            var p = BenchmarkData.Prefix;
            var history = $"""
                WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {kept})
                INSERT INTO {p}recurring_log (name, occurrence_at, outcome, job_id, at, detail)
                SELECT r.name, {start} - ({kept} - k.i + 1) * 1000, 'fired', NULL, {start} - ({kept} - k.i + 1) * 1000, NULL
                FROM k CROSS JOIN {p}recurring AS r
                ORDER BY k.i, r.name;
                """;
            BenchmarkData.ExecuteThroughStore(queue, _path, history);
        }

        using var checkpoint = new SqliteConnection($"Data Source={_path};Pooling=False");
        checkpoint.Open();
        BenchmarkData.Execute(checkpoint, "PRAGMA wal_checkpoint(TRUNCATE);");
        Console.WriteLine($"// {BenchmarkData.Scalar(checkpoint, $"SELECT COUNT(*) FROM {BenchmarkData.Prefix}recurring_log;")} history entries written for {due} schedule(s)");
        return start;
    }
}
