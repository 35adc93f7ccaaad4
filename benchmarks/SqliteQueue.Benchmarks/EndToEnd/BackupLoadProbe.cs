using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// <c>backup-load</c>: an online backup of a large file beside a producer and workers. The file holds <c>--jobs</c>
/// completed jobs with <c>--payload-bytes</c> payloads and their executions (about 1 GB at the defaults). After a
/// warm-up (2 seconds, or <c>--seconds</c> if shorter), <c>--seconds</c> of load without a backup, then
/// <see cref="Maintenance.IQueueMaintenance.BackupAsync"/> with the load still running. The copy then gets a full <c>PRAGMA integrity_check</c>, and is opened as a queue:
/// its <see cref="IQueueClient.GetStatsAsync"/> must equal <c>COUNT(*)</c> by queue and state in the copy, and its
/// totals lie between the source's just before and just after the backup. Enqueue and claim rates during the backup
/// are set against the phase before. Prints one line per figure, then one JSON line.
/// </summary>
internal static class BackupLoadProbe
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var o = MaintenanceProbeOptions.Parse(args, new MaintenanceProbeOptions(1_000_000, 10, 3, 0, 10, 64, 900));
        if (o is null)
        {
            await Console.Error.WriteLineAsync(MaintenanceProbeOptions.Usage("backup-load"));
            return 2;
        }

        var total = Stopwatch.StartNew();
        PeerBenchmark.Print($"backup-load: {o.Jobs:N0} completed jobs of {o.PayloadBytes} B payloads, {o.Seconds} s before the backup, " +
                            $"{o.Workers} workers, producer {(o.Rate == 0 ? "unthrottled" : $"{o.Rate:N0}/s")}; " +
                            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, SQLite {PeerBenchmark.SqliteVersion()}, load average {LoadRig.MachineLoad()}");
        var path = HistoryFile.Create(o.Jobs, o.PayloadBytes);
        var copy = path + ".backup.db";
        try
        {
            var fileBytes = new FileInfo(path).Length;
            string bigNote = new('n', Math.Max(0, o.PayloadBytes - 110));
            Maintenance.BackupResult backup;
            Totals before, after;
            long phaseA, phaseB, end;
            LoadRig rig;
            await using (var queue = BenchmarkData.OpenQueue(path))
            {
                rig = LoadRig.Start(queue, o.Workers, o.Rate, payload: i => BenchmarkData.Payload(i) with { Note = bigNote });

                // A smoke run's phases are shorter than the warm-up; so is its warm-up.
                await Task.Delay(WarmUp < TimeSpan.FromSeconds(o.Seconds) ? WarmUp : TimeSpan.FromSeconds(o.Seconds));
                phaseA = Stopwatch.GetTimestamp();
                await Task.Delay(TimeSpan.FromSeconds(o.Seconds));
                before = Totals.Of(await queue.Client.GetStatsAsync());
                phaseB = Stopwatch.GetTimestamp();
                backup = await queue.Maintenance.BackupAsync(copy);
                end = Stopwatch.GetTimestamp();
                after = Totals.Of(await queue.Client.GetStatsAsync());
                await rig.StopAsync();
            }

            var claimsBefore = rig.ClaimsBetween(phaseA, phaseB);
            var claimsDuring = rig.ClaimsBetween(phaseB, end);
            var enqueueBefore = rig.EnqueuesPerSecond(phaseA, phaseB);
            var enqueueDuring = rig.EnqueuesPerSecond(phaseB, end);

            var integrity = IntegrityCheck(copy, out var integritySeconds);
            var counted = await CountAsync(copy);
            Totals reopened;
            await using (var restored = BenchmarkData.OpenQueue(copy))
            {
                reopened = Totals.Of(await restored.Client.GetStatsAsync());
            }

            var statsMatchCount = reopened.ByQueueAndState.Count == counted.Count
                && reopened.ByQueueAndState.All(kv => counted.GetValueOrDefault(kv.Key) == kv.Value);
            var between = before.All <= reopened.All && reopened.All <= after.All
                && before.Completed <= reopened.Completed && reopened.Completed <= after.Completed;

            PeerBenchmark.Print($"file: {fileBytes / (1024.0 * 1024):N0} MiB; backup: {backup.Bytes / (1024.0 * 1024):N0} MiB in {backup.Duration.TotalSeconds:F2} s");
            PeerBenchmark.Print($"copy: integrity_check '{integrity}' ({integritySeconds:F1} s); reopened stats equal COUNT(*) by queue and state: {statsMatchCount}; " +
                                $"jobs {before.All:N0} <= {reopened.All:N0} <= {after.All:N0}, completed {before.Completed:N0} <= {reopened.Completed:N0} <= {after.Completed:N0}: {between}");
            PeerBenchmark.Print($"enqueues/s: before {enqueueBefore:N0}, during the backup {enqueueDuring:N0} ({Ratio(enqueueDuring, enqueueBefore):F2})");
            PeerBenchmark.Print($"claims, before: {claimsBefore}");
            PeerBenchmark.Print($"claims, during the backup: {claimsDuring} ({Ratio(claimsDuring.JobsPerSecond, claimsBefore.JobsPerSecond):F2} of the jobs/s before)");
            PeerBenchmark.Print($"failed calls {rig.Failures}; total {total.Elapsed.TotalSeconds:F1} s; load average {LoadRig.MachineLoad()}");

            var result = new BackupLoadResult(
                Mode: "backup-load",
                Jobs: o.Jobs,
                PayloadBytes: o.PayloadBytes,
                FileBytes: fileBytes,
                BackupBytes: backup.Bytes,
                BackupSeconds: Math.Round(backup.Duration.TotalSeconds, 3),
                IntegrityCheck: integrity,
                IntegrityCheckSeconds: Math.Round(integritySeconds, 1),
                StatsMatchCount: statsMatchCount,
                TotalsBetween: between,
                JobsBefore: before.All,
                JobsInCopy: reopened.All,
                JobsAfter: after.All,
                EnqueuesPerSecondBefore: enqueueBefore,
                EnqueuesPerSecondDuring: enqueueDuring,
                ClaimsBefore: claimsBefore,
                ClaimsDuring: claimsDuring,
                FailedCalls: rig.Failures,
                Seconds: Math.Round(total.Elapsed.TotalSeconds, 1));
            Console.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
            return integrity == "ok" && statsMatchCount && between && rig.Failures == 0 ? 0 : 1;
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
            BenchmarkData.DeleteDatabase(copy);
        }
    }

    private static double Ratio(double during, double before) => before == 0 ? double.NaN : Math.Round(during / before, 2);

    private static string IntegrityCheck(string path, out double seconds)
    {
        var watch = Stopwatch.StartNew();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        command.CommandTimeout = 0;
        var lines = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                lines.Add(reader.GetString(0));
            }
        }

        seconds = watch.Elapsed.TotalSeconds;
        return string.Join("; ", lines);
    }

    private static async Task<Dictionary<(string Queue, string State), long>> CountAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT queue, state, COUNT(*) FROM queue_jobs GROUP BY queue, state;";
        var counts = new Dictionary<(string, string), long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        return counts;
    }

    /// <summary>A <see cref="QueueStats"/> as counts by queue and state (zeros left out, as <c>GROUP BY</c> leaves them out).</summary>
    private sealed record Totals(Dictionary<(string Queue, string State), long> ByQueueAndState)
    {
        public long All => ByQueueAndState.Values.Sum();

        public long Completed => ByQueueAndState.Where(kv => kv.Key.State == "completed").Sum(kv => kv.Value);

        public static Totals Of(QueueStats stats)
        {
            var counts = new Dictionary<(string, string), long>();
            foreach (var q in stats.Queues)
            {
                foreach (var (state, n) in new[] { ("pending", q.Pending), ("running", q.Running), ("completed", q.Completed), ("dead", q.Dead), ("cancelled", q.Cancelled) })
                {
                    if (n != 0)
                    {
                        counts[(q.Queue, state)] = n;
                    }
                }
            }

            return new Totals(counts);
        }
    }
}

internal sealed record BackupLoadResult(
    string Mode, int Jobs, int PayloadBytes, long FileBytes, long BackupBytes, double BackupSeconds,
    string IntegrityCheck, double IntegrityCheckSeconds, bool StatsMatchCount, bool TotalsBetween,
    long JobsBefore, long JobsInCopy, long JobsAfter,
    double EnqueuesPerSecondBefore, double EnqueuesPerSecondDuring, ClaimWindow ClaimsBefore, ClaimWindow ClaimsDuring,
    int FailedCalls, double Seconds);
