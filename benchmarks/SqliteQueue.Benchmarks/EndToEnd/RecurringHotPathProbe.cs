using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SqliteQueue.Recurring;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>
/// <c>recurring-hotpath [rounds]</c>: the comparison of <see cref="RecurringBenchmarks"/> made paired, for a machine
/// whose speed drifts between BenchmarkDotNet's processes. One process opens two files built alike (100,000 pending
/// jobs): A with no schedule, B with 1,000 schedules that are not due (<c>0 0 1 1 *</c>, <see cref="Overlap.Allow"/>)
/// and the scheduler running. Each round runs a block of <see cref="Block"/> enqueues on A and on B, then a block of
/// <see cref="Block"/> claim-and-complete operations on A and on B, A first in even rounds and B first in odd ones, so
/// A and B see the same machine within milliseconds. It prints each side's median block mean, the median of the
/// per-round ratios B / A with their interquartile range, and in how many rounds B was the slower; then one JSON line.
/// </summary>
internal static class RecurringHotPathProbe
{
    private const int Block = 250;
    private const int WarmUpRounds = 2;
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var rounds = 40;
        if (args.Count > 1 || (args.Count == 1 && (!int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out rounds) || rounds < 1)))
        {
            await Console.Error.WriteLineAsync("usage: recurring-hotpath [rounds]   (default 40; each round runs 250 of each operation on each file)");
            return 2;
        }

        var pathA = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        var pathB = BenchmarkData.CreatePendingFile(BenchmarkData.QueueDepth);
        try
        {
            using var a = new Side("no schedules", BenchmarkData.OpenQueue(pathA));
            using var b = new Side("1,000 schedules", BenchmarkData.OpenQueue(pathB));
            for (var i = 0; i < RecurringBenchmarks.ScheduleCount; i++)
            {
                await b.Queue.Recurring.UpsertAsync(new RecurringJobDefinition($"s{i}", "work", "0 0 1 1 *") { Overlap = Overlap.Allow });
            }

            using var scheduler = SchedulerRun.Start(b.Queue);
            var total = Stopwatch.StartNew();
            var enqueue = new List<(double A, double B)>();
            var claim = new List<(double A, double B)>();
            for (var round = -WarmUpRounds; round < rounds; round++)
            {
                var (first, second) = round % 2 == 0 ? (a, b) : (b, a);
                var e1 = await first.EnqueueBlockAsync();
                var e2 = await second.EnqueueBlockAsync();
                var c1 = await first.ClaimCompleteBlockAsync();
                var c2 = await second.ClaimCompleteBlockAsync();
                if (round >= 0)
                {
                    enqueue.Add(first == a ? (e1, e2) : (e2, e1));
                    claim.Add(first == a ? (c1, c2) : (c2, c1));
                }
            }

            var result = new HotPathResult(
                Rounds: rounds,
                Block: Block,
                Enqueue: PairedFigure.Of(enqueue),
                ClaimComplete: PairedFigure.Of(claim),
                Seconds: Math.Round(total.Elapsed.TotalSeconds, 1));
            Console.WriteLine($"enqueue, µs per operation: {result.Enqueue}");
            Console.WriteLine($"claim + complete, µs per operation: {result.ClaimComplete}");
            Console.WriteLine(JsonSerializer.Serialize(result, JsonOptions));
            return 0;
        }
        finally
        {
            BenchmarkData.DeleteDatabase(pathA);
            BenchmarkData.DeleteDatabase(pathB);
        }
    }

    private sealed class Side(string name, SqliteJobQueue queue) : IDisposable
    {
        private readonly IWorker _worker = queue.Create(new WorkerOptions { WorkerId = "bench-worker" });
        private readonly OrderPayload _payload = BenchmarkData.Payload(BenchmarkData.QueueDepth);

        public SqliteJobQueue Queue => queue;

        /// <summary>Mean µs of <see cref="Block"/> enqueues in a row.</summary>
        public async Task<double> EnqueueBlockAsync()
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < Block; i++)
            {
                await queue.Client.EnqueueAsync(BenchmarkData.JobType, _payload);
            }

            return Stopwatch.GetElapsedTime(start).TotalMicroseconds / Block;
        }

        /// <summary>Mean µs of <see cref="Block"/> claims of one job, each followed by its completion.</summary>
        public async Task<double> ClaimCompleteBlockAsync()
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < Block; i++)
            {
                var jobs = await _worker.ClaimAsync(1);
                if (jobs.Count != 1)
                {
                    throw new InvalidOperationException($"{name}: claimed no job, the queue ran dry.");
                }

                await _worker.CompleteAsync(jobs[0]);
            }

            return Stopwatch.GetElapsedTime(start).TotalMicroseconds / Block;
        }

        public void Dispose() => queue.Dispose();
    }
}

/// <summary>Paired block means of A (no schedules) and B (1,000 schedules), in µs per operation.</summary>
internal sealed record PairedFigure(double MedianA, double MedianB, double MedianRatio, double RatioQ1, double RatioQ3, int RoundsBSlower, int Rounds)
{
    public static PairedFigure Of(List<(double A, double B)> pairs)
    {
        var a = pairs.Select(p => p.A).Order().ToArray();
        var b = pairs.Select(p => p.B).Order().ToArray();
        var ratios = pairs.Select(p => p.B / p.A).Order().ToArray();
        return new PairedFigure(
            Math.Round(Quantile(a, 0.5), 1),
            Math.Round(Quantile(b, 0.5), 1),
            Math.Round(Quantile(ratios, 0.5), 3),
            Math.Round(Quantile(ratios, 0.25), 3),
            Math.Round(Quantile(ratios, 0.75), 3),
            pairs.Count(p => p.B > p.A),
            pairs.Count);
    }

    private static double Quantile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"no schedules {MedianA:F1}, 1,000 schedules {MedianB:F1} (medians of block means); ratio per round median {MedianRatio:F3}, IQR {RatioQ1:F3}..{RatioQ3:F3}; B slower in {RoundsBSlower} of {Rounds} rounds");
}

internal sealed record HotPathResult(int Rounds, int Block, PairedFigure Enqueue, PairedFigure ClaimComplete, double Seconds);
