using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using SqliteQueue.PostgreSql;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// The <c>peer-pg</c> mode: W1, W2 (concurrency 4) and W3 (in process) of the <c>peer</c> workload for the queue on
/// PostgreSQL, for a raw-SQL baseline on the same server, and for graphile-worker and pg-boss (Node child processes
/// from benchmarks/peers-pg), in rounds that interleave the four, so drift in a shared machine's load reaches all alike.
/// Every measurement gets a new schema, dropped after it. Prints a table and ends with one JSON line.
/// </summary>
internal static class PeerPostgreSql
{
    public const string Usage =
        "usage: peer-pg [--connection CS] [--jobs N] [--latency-samples N] [--polled-latency-samples N] [--rounds R]\n" +
        "  --connection            an Npgsql connection string (default: the contents of /tmp/sqlitequeue-pg/connection, see scripts/postgres.sh)\n" +
        "  --jobs                  W1 enqueues and W2 drains this many jobs per measurement (default 10,000)\n" +
        "  --latency-samples       W3 samples per round (default 100)\n" +
        "  --polled-latency-samples W3 samples per round for pg-boss, whose samples cost one 2 s poll each (default 20)\n" +
        "  --rounds                rounds of every measurement; figures are the medians of the rounds (default 3)";

    private const string DefaultConnectionFile = "/tmp/sqlitequeue-pg/connection";
    private const int Concurrency = 4;
    private const int ClaimBatch = 32;
    private static readonly TimeSpan SampleTimeout = TimeSpan.FromSeconds(30);

    private sealed record Options(string Connection, int Jobs, int LatencySamples, int PolledLatencySamples, int Rounds);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = Parse(args);
        if (options is null)
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        var cs = options.Connection;
        var (server, fsync, synchronousCommit) = await ServerSettingsAsync(cs);
        var peersDir = FindPeersDirectory();
        var peersReady = peersDir is not null && Directory.Exists(Path.Combine(peersDir, "node_modules"));
        var loadBefore = LoadAverage();
        Print($"peer-pg: {options.Jobs:N0} jobs, {options.LatencySamples} latency samples ({options.PolledLatencySamples} for pg-boss), {options.Rounds} rounds; " +
              $"{Environment.ProcessorCount} cores, .NET {Environment.Version}; {server}; fsync={fsync}, synchronous_commit={synchronousCommit}; load average {loadBefore}");
        if (!peersReady)
        {
            Print($"graphile-worker and pg-boss skipped: run `npm ci` in {peersDir ?? "benchmarks/peers-pg"} first.");
        }

        var total = Stopwatch.StartNew();

        // Warm-up: every C# path once, small, so the measurements do not include JIT compilation or the first pool connections.
        var warm = Math.Min(options.Jobs, 500);
        await QueueEnqueueAsync(cs, warm);
        await QueueDrainAsync(cs, warm);
        await QueueLatencyAsync(cs, 10);
        await RawEnqueueAsync(cs, warm);
        await RawDrainAsync(cs, warm);

        var queueW1 = new List<double>();
        var queueW2 = new List<double>();
        var queueW3 = new List<LatencyFigure>();
        var rawW1 = new List<double>();
        var rawW2 = new List<double>();
        var peers = new Dictionary<string, List<JsonObject>> { ["graphile-worker"] = [], ["pg-boss"] = [] };

        var steps = new List<(string Name, Func<Task> Run)>
        {
            ("SqliteQueue", async () =>
            {
                queueW1.Add(await QueueEnqueueAsync(cs, options.Jobs));
                queueW2.Add(await QueueDrainAsync(cs, options.Jobs));
                queueW3.Add(await QueueLatencyAsync(cs, options.LatencySamples));
                Print($"  SqliteQueue: W1 {queueW1[^1]:N0} jobs/s, W2 {queueW2[^1]:N0} jobs/s, W3 {queueW3[^1]}");
            }),
            ("raw SQL", async () =>
            {
                rawW1.Add(await RawEnqueueAsync(cs, options.Jobs));
                rawW2.Add(await RawDrainAsync(cs, options.Jobs));
                Print($"  raw SQL: W1 {rawW1[^1]:N0} jobs/s, W2 {rawW2[^1]:N0} jobs/s");
            }),
        };
        if (peersReady)
        {
            foreach (var (peer, samples) in new[] { ("graphile-worker", options.LatencySamples), ("pg-boss", options.PolledLatencySamples) })
            {
                steps.Add((peer, async () =>
                {
                    var figures = await RunPeerAsync(peersDir!, peer, cs, options.Jobs, samples);
                    peers[peer].Add(figures);
                    Print($"  {peer}: W1 {Rate(figures, "w1"):N0} jobs/s, W2 {Rate(figures, "w2"):N0} jobs/s, W3 p50 {Ms(figures, "p50Ms"):F3} ms, p99 {Ms(figures, "p99Ms"):F3} ms");
                }));
            }
        }

        for (var round = 0; round < options.Rounds; round++)
        {
            // Each round starts one step later, so no contender always runs first (on a cold server) or last.
            Print($"round {round + 1} of {options.Rounds} (load average {LoadAverage()})");
            for (var i = 0; i < steps.Count; i++)
            {
                await steps[(i + round) % steps.Count].Run();
            }
        }

        var loadAfter = LoadAverage();
        var result = new JsonObject
        {
            ["mode"] = "peer-pg",
            ["jobs"] = options.Jobs,
            ["latencySamples"] = options.LatencySamples,
            ["polledLatencySamples"] = options.PolledLatencySamples,
            ["rounds"] = options.Rounds,
            ["concurrency"] = Concurrency,
            ["cores"] = Environment.ProcessorCount,
            ["runtime"] = Environment.Version.ToString(),
            ["server"] = server,
            ["fsync"] = fsync,
            ["synchronousCommit"] = synchronousCommit,
            ["loadAverageBefore"] = loadBefore,
            ["loadAverageAfter"] = loadAfter,
            ["sqliteQueue"] = new JsonObject
            {
                ["w1"] = RatesNode(queueW1),
                ["w2"] = RatesNode(queueW2),
                ["w3"] = LatencyNode(queueW3),
            },
            ["raw"] = new JsonObject
            {
                ["w1"] = RatesNode(rawW1),
                ["w2"] = RatesNode(rawW2),
            },
        };
        foreach (var (peer, runs) in peers)
        {
            if (runs.Count == 0)
            {
                continue;
            }

            result[peer] = new JsonObject
            {
                ["version"] = runs[0]["version"]!.GetValue<string>(),
                ["node"] = runs[0]["node"]!.GetValue<string>(),
                ["pickup"] = runs[0]["pickup"]!.GetValue<string>(),
                ["w1"] = RatesNode(runs.Select(r => Rate(r, "w1")).ToList()),
                ["w2"] = RatesNode(runs.Select(r => Rate(r, "w2")).ToList()),
                ["w3"] = new JsonObject
                {
                    ["p50MsMedian"] = Median(runs.Select(r => Ms(r, "p50Ms")).ToList()),
                    ["p99MsMedian"] = Median(runs.Select(r => Ms(r, "p99Ms")).ToList()),
                    ["runs"] = new JsonArray([.. runs.Select(r => r["w3"]!.DeepClone())]),
                },
            };
        }

        Print("");
        Print($"| Workload | SqliteQueue on PostgreSQL | raw SQL baseline | graphile-worker | pg-boss |");
        Print("|---|---:|---:|---:|---:|");
        Print($"| W1 enqueue, jobs/s | {RateCell(queueW1)} | {RateCell(rawW1)} | {PeerRateCell(peers["graphile-worker"], "w1")} | {PeerRateCell(peers["pg-boss"], "w1")} |");
        Print($"| W2 drain, concurrency {Concurrency}, jobs/s | {RateCell(queueW2)} | {RateCell(rawW2)} | {PeerRateCell(peers["graphile-worker"], "w2")} | {PeerRateCell(peers["pg-boss"], "w2")} |");
        Print($"| W3 pickup p50, ms | {LatencyCell(queueW3.Select(f => f.P50Ms).ToList())} | | {PeerLatencyCell(peers["graphile-worker"], "p50Ms")} | {PeerLatencyCell(peers["pg-boss"], "p50Ms")} |");
        Print($"| W3 pickup p99, ms | {LatencyCell(queueW3.Select(f => f.P99Ms).ToList())} | | {PeerLatencyCell(peers["graphile-worker"], "p99Ms")} | {PeerLatencyCell(peers["pg-boss"], "p99Ms")} |");
        Print($"total {total.Elapsed.TotalSeconds:F1} s; load average before {loadBefore}, after {loadAfter}");
        result["seconds"] = Math.Round(total.Elapsed.TotalSeconds, 1);
        Console.WriteLine(result.ToJsonString(WebJson));
        return 0;
    }

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

    // ---- SqliteQueue on PostgreSQL ----

    private static SqliteQueueOptions QueueOptions(string cs, string schema) =>
        new SqliteQueueOptions().UsePostgreSql(cs, o => o.Schema = schema);

    /// <summary>W1: one awaited <c>EnqueueAsync</c> per job from one thread.</summary>
    private static async Task<double> QueueEnqueueAsync(string cs, int jobs)
    {
        var schema = NewSchema("sq_w1");
        try
        {
            await using var queue = new SqliteJobQueue(QueueOptions(cs, schema));
            await queue.InitializeAsync();
            var payloads = Enumerable.Range(0, jobs).Select(BenchmarkData.Payload).ToArray();
            var client = queue.Client;
            var watch = Stopwatch.StartNew();
            foreach (var payload in payloads)
            {
                await client.EnqueueAsync(BenchmarkData.JobType, payload);
            }

            return jobs / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }

    private static ServiceProvider BuildHost(string cs, string schema, Action<QueueWorkerOptions> worker, DrainProbe drain, LatencyProbe latency)
    {
        var services = new ServiceCollection();
        services.AddSingleton(drain);
        services.AddSingleton(latency);
        services.AddSqliteQueue(o => o.UsePostgreSql(cs, p => p.Schema = schema))
            .AddHandler<OrderPayload, NoOpHandler>(BenchmarkData.JobType)
            .AddHandler<LatencyPayload, LatencyHandler>(PeerBenchmark.LatencyJobType)
            .AddWorker(worker);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>W2: <paramref name="jobs"/> waiting jobs, then the hosted worker at concurrency 4 from start until every completion is committed.</summary>
    private static async Task<double> QueueDrainAsync(string cs, int jobs)
    {
        var schema = NewSchema("sq_w2");
        try
        {
            var probe = new DrainProbe(jobs);
            double rate;
            await using (var provider = BuildHost(cs, schema, w => w.Concurrency = Concurrency, probe, new LatencyProbe()))
            {
                var queue = provider.GetRequiredService<SqliteJobQueue>();
                await PeerBenchmark.FillAsync(queue, jobs);
                var hosted = provider.GetServices<IHostedService>().ToArray();
                var watch = Stopwatch.StartNew();
                foreach (var service in hosted)
                {
                    await service.StartAsync(CancellationToken.None);
                }

                await probe.AllHandled.Task.WaitAsync(TimeSpan.FromMinutes(10));
                await queue.Client.WaitUntilIdleAsync(QueueNames.Default);
                rate = jobs / watch.Elapsed.TotalSeconds;
                foreach (var service in hosted)
                {
                    await service.StopAsync(CancellationToken.None);
                }
            }

            var completed = await ScalarAsync(cs, $"SELECT count(*) FROM {schema}.jobs WHERE state = 'completed'");
            if (completed != jobs || probe.Handled != jobs)
            {
                throw new InvalidOperationException($"Drain check failed: {probe.Handled} handled, {completed} completed of {jobs}.");
            }

            return rate;
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }

    /// <summary>W3 in process: enqueue call to the handler's first line, the worker started (defaults) and idle, one sample at a time.</summary>
    private static async Task<LatencyFigure> QueueLatencyAsync(string cs, int samples)
    {
        var schema = NewSchema("sq_w3");
        try
        {
            var probe = new LatencyProbe();
            await using var provider = BuildHost(cs, schema, _ => { }, new DrainProbe(int.MaxValue), probe);
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await queue.InitializeAsync();
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            // The listener connection and the first empty claim come up in the background; a sample must not wait on them.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var random = new Random(1);
            var latencies = new List<double>(samples);
            const int warmup = 5;
            for (var seq = 0; seq < warmup + samples; seq++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10 + random.Next(10)));
                await queue.Client.EnqueueAsync(PeerBenchmark.LatencyJobType, new LatencyPayload(Stopwatch.GetTimestamp(), seq));
                var ms = await probe.WaitAsync(seq, SampleTimeout);
                if (seq >= warmup)
                {
                    latencies.Add(ms);
                }
            }

            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            return LatencyFigure.From(latencies);
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }

    // ---- raw SQL on the queue's own tables ----

    /// <summary>The queue's tables and indexes in a new schema (its own migration), so the baseline writes the same rows into the same indexes.</summary>
    private static async Task<string> RawSchemaAsync(string cs, string prefix, int fill)
    {
        var schema = NewSchema(prefix);
        await using var queue = new SqliteJobQueue(QueueOptions(cs, schema));
        await queue.InitializeAsync();
        if (fill > 0)
        {
            await PeerBenchmark.FillAsync(queue, fill);
        }

        return schema;
    }

    /// <summary>W1 raw: one prepared INSERT per transaction (BEGIN, INSERT, COMMIT) through Npgsql, one connection.</summary>
    private static async Task<double> RawEnqueueAsync(string cs, int jobs)
    {
        var schema = await RawSchemaAsync(cs, "raw_w1", 0);
        try
        {
            var options = new SqliteQueueOptions();
            var payloads = Enumerable.Range(0, jobs).Select(i => BenchmarkData.PayloadJson(i, options)).ToArray();
            await using var connection = new NpgsqlConnection(cs);
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO {schema}.jobs (queue, type, payload, priority, state, run_at, max_attempts, created_at) " +
                "VALUES ($1, $2, $3, 0, 'pending', $4, $5, $4)", connection);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = QueueNames.Default });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = BenchmarkData.JobType });
            insert.Parameters.Add(new NpgsqlParameter<string>());
            insert.Parameters.Add(new NpgsqlParameter<long>());
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.DefaultMaxAttempts });
            await insert.PrepareAsync();
            var watch = Stopwatch.StartNew();
            foreach (var payload in payloads)
            {
                await using var tx = await connection.BeginTransactionAsync();
                insert.Transaction = tx;
                ((NpgsqlParameter<string>)insert.Parameters[2]).TypedValue = payload;
                ((NpgsqlParameter<long>)insert.Parameters[3]).TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await insert.ExecuteNonQueryAsync();
                await tx.CommitAsync();
            }

            return jobs / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }

    /// <summary>
    /// W2 raw: 4 connections, each looping: claim up to 32 with a FOR UPDATE SKIP LOCKED CTE (one statement, its own
    /// transaction), then complete those with one UPDATE ... WHERE id = ANY(ids) (no history rows), until a claim finds none.
    /// </summary>
    private static async Task<double> RawDrainAsync(string cs, int jobs)
    {
        var schema = await RawSchemaAsync(cs, "raw_w2", jobs);
        try
        {
            var claimSql =
                $"""
                WITH picked AS MATERIALIZED (
                    SELECT id FROM {schema}.jobs
                    WHERE state = 'pending' AND queue = $1 AND run_at <= $2
                    ORDER BY run_at, id LIMIT {ClaimBatch}
                    FOR UPDATE SKIP LOCKED)
                UPDATE {schema}.jobs j
                SET state = 'running', attempt = j.attempt + 1, lease_owner = $3, lease_token = $4,
                    lease_expires_at = $2 + 30000, started_at = $2
                FROM picked p WHERE j.id = p.id
                RETURNING j.id, j.type, j.payload, j.attempt, j.max_attempts
                """;
            var completeSql =
                $"UPDATE {schema}.jobs SET state = 'completed', finished_at = $1, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL " +
                "WHERE id = ANY($2) AND state = 'running' AND lease_token = $3";
            var connections = new List<NpgsqlConnection>();
            for (var i = 0; i < Concurrency; i++)
            {
                var connection = new NpgsqlConnection(cs);
                await connection.OpenAsync();
                connections.Add(connection);
            }

            var done = 0;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(connections.Select((connection, n) => Task.Run(async () =>
            {
                await using var claim = new NpgsqlCommand(claimSql, connection);
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = QueueNames.Default });
                claim.Parameters.Add(new NpgsqlParameter<long>());
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"raw-{n}" });
                claim.Parameters.Add(new NpgsqlParameter<long>());
                await claim.PrepareAsync();
                await using var complete = new NpgsqlCommand(completeSql, connection);
                complete.Parameters.Add(new NpgsqlParameter<long>());
                complete.Parameters.Add(new NpgsqlParameter<long[]>());
                complete.Parameters.Add(new NpgsqlParameter<long>());
                await complete.PrepareAsync();
                var ids = new List<long>(ClaimBatch);
                while (true)
                {
                    var token = Random.Shared.NextInt64(1, long.MaxValue);
                    ((NpgsqlParameter<long>)claim.Parameters[1]).TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    ((NpgsqlParameter<long>)claim.Parameters[3]).TypedValue = token;
                    ids.Clear();
                    await using (var reader = await claim.ExecuteReaderAsync())
                    {
                        while (await reader.ReadAsync())
                        {
                            // Every column a handler needs, read as the queue reads them.
                            ids.Add(reader.GetInt64(0));
                            _ = reader.GetString(1).Length + reader.GetString(2).Length + reader.GetInt32(3) + reader.GetInt32(4);
                        }
                    }

                    if (ids.Count == 0)
                    {
                        return;
                    }

                    ((NpgsqlParameter<long>)complete.Parameters[0]).TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    ((NpgsqlParameter<long[]>)complete.Parameters[1]).TypedValue = [.. ids];
                    ((NpgsqlParameter<long>)complete.Parameters[2]).TypedValue = token;
                    Interlocked.Add(ref done, await complete.ExecuteNonQueryAsync());
                }
            }))).WaitAsync(TimeSpan.FromMinutes(10));
            var rate = jobs / watch.Elapsed.TotalSeconds;
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            if (done != jobs)
            {
                throw new InvalidOperationException($"Raw drain completed {done} of {jobs} jobs.");
            }

            return rate;
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }

    // ---- the Node peers ----

    /// <summary>Runs benchmarks/peers-pg/&lt;peer&gt;.mjs with node and returns its JSON line; its other output goes to this console.</summary>
    private static async Task<JsonObject> RunPeerAsync(string peersDir, string peer, string cs, int jobs, int samples)
    {
        var start = new ProcessStartInfo
        {
            FileName = "node",
            WorkingDirectory = peersDir,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { $"{peer}.mjs", "--url", NodeUrl(cs), "--jobs", jobs.ToString(CultureInfo.InvariantCulture), "--latency-samples", samples.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"node {peer}.mjs did not start.");
        string? json = null;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith('{'))
            {
                json = line;
            }
            else
            {
                Print($"  [{peer}] {line}");
            }
        }

        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || json is null)
        {
            throw new InvalidOperationException($"node {peer}.mjs exited with {process.ExitCode} and {(json is null ? "no" : "a")} JSON line.");
        }

        return JsonNode.Parse(json)!.AsObject();
    }

    /// <summary>node-postgres takes a URL; the same server, user and database as the Npgsql connection string.</summary>
    private static string NodeUrl(string cs)
    {
        var b = new NpgsqlConnectionStringBuilder(cs);
        var user = Uri.EscapeDataString(b.Username ?? Environment.UserName);
        var password = string.IsNullOrEmpty(b.Password) ? "" : ":" + Uri.EscapeDataString(b.Password);
        return $"postgres://{user}{password}@{b.Host}:{b.Port}/{Uri.EscapeDataString(b.Database ?? b.Username ?? "postgres")}";
    }

    private static string? FindPeersDirectory()
    {
        foreach (var from in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "benchmarks", "peers-pg");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    // ---- plumbing ----

    private static Options? Parse(IReadOnlyList<string> args)
    {
        string? connection = null;
        int jobs = 10_000, samples = 100, polled = 20, rounds = 3;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--connection" when i + 1 < args.Count:
                    connection = args[++i];
                    break;
                case "--jobs" when i + 1 < args.Count && TryPositive(args[i + 1], out jobs):
                case "--latency-samples" when i + 1 < args.Count && TryPositive(args[i + 1], out samples):
                case "--polled-latency-samples" when i + 1 < args.Count && TryPositive(args[i + 1], out polled):
                case "--rounds" when i + 1 < args.Count && TryPositive(args[i + 1], out rounds):
                    i++;
                    break;
                default:
                    return null;
            }
        }

        if (connection is null)
        {
            if (!File.Exists(DefaultConnectionFile))
            {
                Console.Error.WriteLine($"No --connection and no {DefaultConnectionFile}: start the server with `bash scripts/postgres.sh start`.");
                return null;
            }

            connection = File.ReadAllText(DefaultConnectionFile).Trim();
        }

        return new Options(connection, jobs, samples, polled, rounds);
    }

    private static bool TryPositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;

    private static async Task<(string Server, string Fsync, string SynchronousCommit)> ServerSettingsAsync(string cs)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        async Task<string> Show(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            return (string)(await command.ExecuteScalarAsync())!;
        }

        return (await Show("SELECT version()"), await Show("SHOW fsync"), await Show("SHOW synchronous_commit"));
    }

    private static string NewSchema(string prefix) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _schemas)}");

    private static int _schemas;

    private static async Task DropSchemaAsync(string cs, string schema)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(string cs, string sql)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static double Rate(JsonObject figures, string workload) => figures[workload]!["jobsPerSecond"]!.GetValue<double>();

    private static double Ms(JsonObject figures, string field) => figures["w3"]![field]!.GetValue<double>();

    private static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static JsonObject RatesNode(List<double> rates) => new()
    {
        ["jobsPerSecondMedian"] = Math.Round(Median(rates), 1),
        ["runs"] = new JsonArray([.. rates.Select(r => (JsonNode)Math.Round(r, 1))]),
    };

    private static JsonObject LatencyNode(List<LatencyFigure> runs) => new()
    {
        ["p50MsMedian"] = Math.Round(Median(runs.Select(f => f.P50Ms).ToList()), 3),
        ["p99MsMedian"] = Math.Round(Median(runs.Select(f => f.P99Ms).ToList()), 3),
        ["runs"] = JsonSerializer.SerializeToNode(runs, WebJson),
    };

    private static string RateCell(List<double> rates) =>
        rates.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"{Median(rates):N0} ({string.Join(" / ", rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))})");

    private static string LatencyCell(List<double> values) =>
        values.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"{Median(values):F2} ({string.Join(" / ", values.Select(v => v.ToString("F2", CultureInfo.InvariantCulture)))})");

    private static string PeerRateCell(List<JsonObject> runs, string workload) => RateCell(runs.Select(r => Rate(r, workload)).ToList());

    private static string PeerLatencyCell(List<JsonObject> runs, string field) => LatencyCell(runs.Select(r => Ms(r, field)).ToList());

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private static void Print(string line) => Console.WriteLine(line);
}
