using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>W2, the drain: the hosted worker against the raw claim-32 + complete-32 cycle on the queue's schema.</summary>
internal static partial class PeerBenchmark
{
    // ---- W2 ----

    /// <summary>Fills a new file with <paramref name="jobs"/> waiting jobs, then times the hosted worker from start until the queue is idle.</summary>
    private static async Task<DrainFigure> DrainAsync(int jobs, int concurrency, SynchronousMode synchronous)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            var probe = new DrainProbe(jobs);
            var prefetch = Environment.GetEnvironmentVariable("SQLITEQUEUE_PREFETCH");
            await using var provider = BuildHost(path, synchronous, w => { w.Concurrency = concurrency; if (prefetch is not null) { w.Prefetch = int.Parse(prefetch, CultureInfo.InvariantCulture); } var batch = Environment.GetEnvironmentVariable("SQLITEQUEUE_BATCH"); if (batch is not null) { w.BatchSize = int.Parse(batch, CultureInfo.InvariantCulture); } }, probe, new LatencyProbe());
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await FillAsync(queue, jobs);
            var hosted = provider.GetServices<IHostedService>().ToArray();

            var process = Process.GetCurrentProcess();
            var allocated = StartAllocations();
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            // The handlers' count says when the last handler ran; the idle wait then sees its completion committed.
            // (Waiting on WaitUntilIdleAsync alone from the start would add a reader that wakes on every completion.)
            await probe.AllHandled.Task.WaitAsync(TimeSpan.FromMinutes(10));
            await queue.Client.WaitUntilIdleAsync(QueueNames.Default);
            watch.Stop();
            process.Refresh();
            var cpuUsed = process.TotalProcessorTime - cpu;
            var bytes = GC.GetTotalAllocatedBytes(true) - allocated;

            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            var stats = await CountByStateAsync(path);
            if (stats.GetValueOrDefault("completed") != jobs || probe.Handled != jobs)
            {
                throw new InvalidOperationException(
                    $"Drain check failed: {probe.Handled} handled, states {string.Join(", ", stats.Select(kv => $"{kv.Key}={kv.Value}"))}.");
            }

            return new DrainFigure(concurrency, synchronous.ToString(), jobs / watch.Elapsed.TotalSeconds, watch.Elapsed.TotalSeconds,
                bytes / (double)jobs, cpuUsed.TotalSeconds / watch.Elapsed.TotalSeconds);
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }

    /// <summary>
    /// The raw cycle on the queue's schema: claim 32 with SQLite's one-statement claim in one transaction, then
    /// complete those 32 in one transaction, until nothing is left: with the queue's completion statement once per job
    /// (history rows written, as a straightforward program would), or with one bare UPDATE for the 32 (no history).
    /// </summary>
    private static Rate RawCycle(int jobs, bool bareComplete)
    {
        var path = BenchmarkData.NewDatabasePath();
        try
        {
            using var connection = BenchmarkData.OpenRawConnection(path);

            // The queue's writer keeps temporary b-trees in memory; so does this baseline, whose one-statement claim
            // builds two per claim, so the ratio does not credit the queue with a PRAGMA.
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA temp_store = MEMORY;";
                pragma.ExecuteNonQuery();
            }
            using (var insert = BenchmarkData.PrepareRawInsert(connection))
            {
                var options = new SqliteQueueOptions();
                using var tx = connection.BeginTransaction();
                insert.Transaction = tx;
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1;
                for (var i = 0; i < jobs; i++)
                {
                    BenchmarkData.RawInsert(insert, BenchmarkData.PayloadJson(i, options), 0, now);
                }

                tx.Commit();
            }

            using var claim = connection.CreateCommand();
            claim.CommandText = SqlText.Render(RawSql.ClaimManyFifo, BenchmarkData.Prefix);
            foreach (var name in new[] { "@queue", "@now", "@owner", "@token", "@until", "@limit" })
            {
                claim.Parameters.Add(new SqliteParameter(name, null));
            }

            claim.Parameters["@queue"].Value = QueueNames.Default;
            claim.Parameters["@owner"].Value = "bench-worker";
            claim.Parameters["@limit"].Value = DrainBatch;
            claim.Prepare();

            using var complete = connection.CreateCommand();
            if (bareComplete)
            {
                var ids = string.Join(", ", Enumerable.Range(0, DrainBatch).Select(i => $"@id{i}"));
                complete.CommandText =
                    $"UPDATE {BenchmarkData.Prefix}jobs SET state = 'completed', finished_at = @now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL " +
                    $"WHERE id IN ({ids}) AND state = 'running' AND lease_token = @token;";
                for (var i = 0; i < DrainBatch; i++)
                {
                    complete.Parameters.Add(new SqliteParameter($"@id{i}", null));
                }
            }
            else
            {
                complete.CommandText = SqlText.Render(JobSql.CompleteJob, BenchmarkData.Prefix);
                complete.Parameters.Add(new SqliteParameter("@id", null));
            }

            complete.Parameters.Add(new SqliteParameter("@token", null));
            complete.Parameters.Add(new SqliteParameter("@now", null));
            complete.Prepare();

            var claimed = new List<long>(DrainBatch);
            var done = 0;
            var allocated = StartAllocations();
            var watch = Stopwatch.StartNew();
            while (true)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var token = Random.Shared.NextInt64(1, long.MaxValue);
                claimed.Clear();
                using (var tx = connection.BeginTransaction())
                {
                    claim.Transaction = tx;
                    var p = claim.Parameters;
                    p["@now"].Value = now;
                    p["@token"].Value = token;
                    p["@until"].Value = now + 30_000;
                    using (var reader = claim.ExecuteReader())
                    {
                        while (reader.Read())
                        {
                            // Every column the queue reads.
                            claimed.Add(reader.GetInt64(0));
                            _ = reader.GetString(1).Length + reader.GetString(2).Length + reader.GetString(3).Length;
                            _ = reader.GetInt32(4) + reader.GetInt32(5) + reader.GetInt32(6);
                            _ = reader.IsDBNull(7) ? 0 : reader.GetInt64(7);
                            _ = reader.GetInt64(8) + reader.GetInt64(9);
                        }
                    }

                    tx.Commit();
                }

                if (claimed.Count == 0)
                {
                    break;
                }

                using (var tx = connection.BeginTransaction())
                {
                    complete.Transaction = tx;
                    var p = complete.Parameters;
                    p["@token"].Value = token;
                    p["@now"].Value = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    if (bareComplete)
                    {
                        for (var i = 0; i < DrainBatch; i++)
                        {
                            p[i].Value = i < claimed.Count ? claimed[i] : DBNull.Value;
                        }

                        done += complete.ExecuteNonQuery();
                    }
                    else
                    {
                        foreach (var id in claimed)
                        {
                            p["@id"].Value = id;
                            done += complete.ExecuteNonQuery() / 2;
                        }
                    }

                    tx.Commit();
                }
            }

            watch.Stop();
            claim.Transaction = null;
            complete.Transaction = null;
            if (done != jobs)
            {
                throw new InvalidOperationException($"Raw cycle completed {done} of {jobs} jobs.");
            }

            return new Rate(jobs, watch.Elapsed, (GC.GetTotalAllocatedBytes(true) - allocated) / (double)jobs);
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }
    }
}
