using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// The <c>peer-pg</c> mode: W1, W2 (concurrency 4) and W3 (in process) of the <c>peer</c> workload for the queue on
/// PostgreSQL, for a raw-SQL baseline on the same server, and for graphile-worker and pg-boss (Node child processes
/// from benchmarks/peers-pg), in rounds that interleave the four, so drift in a shared machine's load reaches all alike.
/// Every measurement gets a new schema, dropped after it. Prints a table and ends with one JSON line.
/// </summary>
internal static partial class PeerPostgreSql
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
