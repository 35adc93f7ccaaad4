using System.Globalization;
using Npgsql;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>The <c>peer-pg-diag</c> mode: where a drain's time goes on the server.</summary>
internal static partial class PeerPostgreSql
{
    /// <summary>
    /// <c>peer-pg-diag [--connection CS] [--jobs N]</c>: one W2 drain of the queue and one of the raw baseline, each with
    /// the server's counters read before and after (commits, WAL flushes and bytes per job) and the drain's backends
    /// sampled every 10 ms for what they wait on: where a drain's time goes on the server. Nothing else may use the
    /// server meanwhile, as the counters are the server's.
    /// </summary>
    public static async Task<int> DiagnoseAsync(IReadOnlyList<string> args)
    {
        var options = Parse(args);
        if (options is null)
        {
            await Console.Error.WriteLineAsync("usage: peer-pg-diag [--connection CS] [--jobs N]");
            return 2;
        }

        var cs = options.Connection;
        await QueueDrainAsync(cs, 500);
        await RawDrainAsync(cs, 500);
        foreach (var (name, drain) in new (string, Func<Task<double>>)[] { ("SqliteQueue", () => QueueDrainAsync(cs, options.Jobs)), ("raw SQL", () => RawDrainAsync(cs, options.Jobs)) })
        {
            var before = await ServerCountersAsync(cs);
            using var stop = new CancellationTokenSource();
            var sampler = SampleWaitsAsync(cs, stop.Token);
            var rate = await drain();
            await stop.CancelAsync();
            var waits = await sampler;

            // Backends report their counters to the shared statistics at most once a second when busy.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var after = await ServerCountersAsync(cs);
            var jobs = (double)options.Jobs;
            Print(string.Create(CultureInfo.InvariantCulture,
                $"{name} W2 drain, concurrency {Concurrency}: {rate:N0} jobs/s; per job: {(after.Commits - before.Commits) / jobs:F3} commits, " +
                $"{(after.WalSyncs - before.WalSyncs) / jobs:F3} WAL flushes, {(after.WalBytes - before.WalBytes) / jobs:N0} WAL bytes"));
            var total = waits.Values.Sum();
            foreach (var (wait, count) in waits.OrderByDescending(w => w.Value).Take(8))
            {
                Print(string.Create(CultureInfo.InvariantCulture, $"  {wait}: {count} samples ({100.0 * count / Math.Max(1, total):F1} %)"));
            }
        }

        return 0;
    }

    private static async Task<(long Commits, long WalSyncs, long WalBytes)> ServerCountersAsync(string cs)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()), wal_sync, wal_bytes::bigint FROM pg_stat_wal", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>What the other active backends of this database wait on (or "CPU" when on none), counted over 10 ms samples.</summary>
    private static async Task<Dictionary<string, int>> SampleWaitsAsync(string cs, CancellationToken stop)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' <- ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 48) " +
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND backend_type = 'client backend'",
            connection);
        while (!stop.IsCancellationRequested)
        {
            await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None))
            {
                while (await reader.ReadAsync(CancellationToken.None))
                {
                    var key = reader.GetString(0);
                    counts[key] = counts.GetValueOrDefault(key) + 1;
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return counts;
    }
}
