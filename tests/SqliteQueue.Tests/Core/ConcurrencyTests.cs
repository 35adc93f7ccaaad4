using System.Collections.Concurrent;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Core;

public sealed class ConcurrencyTests
{
    private const int Jobs = 10_000;
    private const int Threads = 8;

    [Theory]
    [InlineData(1, false)]
    [InlineData(16, false)]
    [InlineData(1, true)]
    [InlineData(16, true)]
    public async Task Eight_threads_claim_10000_jobs_and_each_is_claimed_exactly_once(int batch, bool storePerThread)
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, Jobs));
        var claims = new ConcurrentBag<long>();
        using var start = new ManualResetEventSlim(false);

        var threads = Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            // A store per thread means a connection per thread: the claims then contend on SQLite's lock
            // as separate processes would, rather than on the in-process writer gate.
            var queue = storePerThread ? db.Open() : db.Queue;
            var worker = queue.Create(new WorkerOptions { WorkerId = $"w{t}", LeaseDuration = TimeSpan.FromHours(1) });
            start.Wait();
            while (true)
            {
                var jobs = await worker.ClaimAsync(batch);
                if (jobs.Count == 0)
                {
                    return;
                }

                foreach (var job in jobs)
                {
                    claims.Add(job.Id);
                }
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(threads).WaitAsync(TimeSpan.FromMinutes(3));

        claims.Should().HaveCount(Jobs).And.OnlyHaveUniqueItems();
        var stats = await db.Client.GetStatsAsync();
        stats.For("default").Running.Should().Be(Jobs);
        stats.For("default").Pending.Should().Be(0);
    }

    [Fact]
    public async Task Concurrent_completion_by_stale_and_fresh_holders_applies_exactly_one()
    {
        await using var db = new TestDatabase();
        var ids = await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 200));
        var stale = db.Worker(lease: TimeSpan.FromSeconds(5), id: "stale");
        var fresh = db.Open().Create(new WorkerOptions { WorkerId = "fresh", LeaseDuration = TimeSpan.FromSeconds(5) });
        var old = await stale.ClaimAsync(200);
        db.Time.Advance(TimeSpan.FromSeconds(5));
        var current = await fresh.ClaimAsync(200);

        var results = await Task.WhenAll(
            Task.Run(async () => { var n = 0; foreach (var j in old) { n += await stale.CompleteAsync(j) ? 1 : 0; } return n; }),
            Task.Run(async () => { var n = 0; foreach (var j in current) { n += await fresh.CompleteAsync(j) ? 1 : 0; } return n; }));

        results.Should().Equal(0, 200);
        foreach (var id in ids.Take(5))
        {
            (await db.Client.GetExecutionsAsync(id)).Select(e => e.Outcome).Should().Equal(ExecutionOutcome.LeaseExpired, ExecutionOutcome.Completed);
        }
    }
}
