using System.Diagnostics;
using System.Globalization;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// <c>complete-forms [rounds] [--temp-store FILE|MEMORY]</c>: one write of a batch of completions, two ways, alternated
/// round by round in one process on a file of 100,000 jobs: the queue's completion statement once per job
/// (<c>JobSql.CompleteJob</c>) and <c>JobStore.CompleteMany</c> (sixteen per statement from its threshold up). Batches
/// of 2 to 32 jobs; each figure is the median over rounds of the time per job, commit included, claims excluded.
/// <c>--temp-store</c> sets the writer's <c>temp_store</c> first, to see what temporary b-trees on a file cost.
/// </summary>
internal static class CompleteForms
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var rounds = args.Count > 0 && args[0] != "--temp-store" ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        var at = args.ToList().IndexOf("--temp-store");
        var tempStore = at >= 0 && at + 1 < args.Count ? args[at + 1] : null;
        if (tempStore is not (null or "FILE" or "MEMORY"))
        {
            await Console.Error.WriteLineAsync("usage: complete-forms [rounds] [--temp-store FILE|MEMORY]");
            return 2;
        }

        int[] sizes = [2, 3, 4, 6, 8, 16, 32];
        const int JobsPerCell = 1_000;
        if ((rounds + 1) * sizes.Length * 2 * JobsPerCell > BenchmarkData.QueueDepth)
        {
            await Console.Error.WriteLineAsync($"At most {BenchmarkData.QueueDepth / (sizes.Length * 2 * JobsPerCell) - 1} rounds: the file holds {BenchmarkData.QueueDepth:N0} jobs.");
            return 2;
        }

        var path = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        try
        {
            using var queue = BenchmarkData.OpenQueue(path);
            var worker = queue.Create(new WorkerOptions { WorkerId = "bench-worker" });
            var store = queue.SqliteStore;
            if (tempStore is not null)
            {
                await store.ExclusiveAsync(c =>
                {
                    ConnectionFactory.Execute(c, $"PRAGMA temp_store = {tempStore};");
                    return 0;
                }, CancellationToken.None);
            }

            var perJob = sizes.ToDictionary(s => s, _ => new List<double>());
            var setBased = sizes.ToDictionary(s => s, _ => new List<double>());

            // Round 0 warms both paths up and is not counted.
            for (var round = 0; round <= rounds; round++)
            {
                foreach (var size in sizes)
                {
                    foreach (var set in round % 2 == 0 ? new[] { false, true } : [true, false])
                    {
                        long elapsed = 0;
                        var done = 0;
                        for (var rep = 0; rep < JobsPerCell / size; rep++)
                        {
                            var jobs = await worker.ClaimAsync(size);
                            var start = Stopwatch.GetTimestamp();
                            var applied = await store.WriteAsync<IReadOnlyList<ClaimedJob>, bool[]>(jobs, set ? CompleteMany : CompleteEach, CancellationToken.None);
                            elapsed += Stopwatch.GetTimestamp() - start;
                            done += applied.Count(a => a);
                        }

                        if (done != JobsPerCell / size * size)
                        {
                            throw new InvalidOperationException($"Completed {done} jobs in batches of {size}.");
                        }

                        if (round > 0)
                        {
                            (set ? setBased : perJob)[size].Add(Stopwatch.GetElapsedTime(0, elapsed).TotalMicroseconds / done);
                        }
                    }
                }
            }

            PeerBenchmark.Print($"complete-forms: {rounds} rounds, temp_store {tempStore ?? "as the queue sets it"}; us per job, medians");
            foreach (var size in sizes)
            {
                var each = Median(perJob[size]);
                var many = Median(setBased[size]);
                PeerBenchmark.Print($"batch {size,2}: CompleteJob per job {each:F1}, CompleteMany {many:F1}, ratio {many / each:F2}");
            }
        }
        finally
        {
            BenchmarkData.DeleteDatabase(path);
        }

        return 0;
    }

    private static bool[] CompleteMany(JobStore store, Microsoft.Data.Sqlite.SqliteTransaction tx, IReadOnlyList<ClaimedJob> jobs) =>
        store.CompleteMany(tx, jobs, store.NowMs);

    private static bool[] CompleteEach(JobStore store, Microsoft.Data.Sqlite.SqliteTransaction tx, IReadOnlyList<ClaimedJob> jobs)
    {
        var now = store.NowMs;
        var applied = new bool[jobs.Count];
        for (var i = 0; i < jobs.Count; i++)
        {
            applied[i] = store.Complete(tx, jobs[i].Id, jobs[i].LeaseToken, jobs[i].Queue, now);
        }

        return applied;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
