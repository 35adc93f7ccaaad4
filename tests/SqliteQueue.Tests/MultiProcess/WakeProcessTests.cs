using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Internal.Wake;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Processing;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>
/// Pickup across processes through the wake-up file, with the workers' poll set so far apart (an hour, or a clock
/// that never moves) that only the file's signal can start the jobs in time. Real processes, real time: the waits
/// are bounded generously and no duration is asserted.
/// </summary>
public sealed class WakeProcessTests
{
    private const string JobType = "multi.work";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_worker_process_that_polls_hourly_starts_jobs_enqueued_by_this_process()
    {
        await using var db = new TestDatabase();
        var queue = db.Open(TimeProvider.System);

        // Two slots and a 200 ms handler: the worker is back waiting, parked, long before each job's handler ends. The
        // lease is long too, as a wait also ends when the running job's lease would expire.
        using var worker = WorkerProcess.StartHosted(db.Path, "hourly", leaseMs: 600_000, concurrency: 2, holdMs: 200, maintenance: false, pollMs: 3_600_000);
        await worker.WaitUntilAsync(l => l.Contains("ready"), "ready line", Bound);
        for (var n = 0; n < 5; n++)
        {
            var id = await queue.Client.EnqueueAsync(JobType, new { Poison = false });
            await worker.WaitUntilAsync(_ => worker.Ran.Contains(id), $"ran {id}", Bound);
        }

        worker.Lines.Where(l => l.StartsWith("warn", StringComparison.Ordinal)).Should().BeEmpty(worker.Describe());
    }

    [Fact]
    public async Task A_worker_here_whose_clock_never_moves_starts_jobs_enqueued_by_another_process()
    {
        var behavior = new Behavior();
        await using var f = new RuntimeFixture(
            q => q.AddHandler<Work, WorkHandler>(JobType),
            s => s.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>());
        var store = f.Queue.SqliteStore;
        using var enqueuer = WorkerProcess.StartEnqueuer(f.Db.Path, "enqueuer");
        await enqueuer.WaitUntilAsync(l => l.Contains("ready"), "ready line", Bound);
        f.Start(f.Processor());

        for (var n = 1; n <= 3; n++)
        {
            // The worker sleeps until a poll that never comes (the test clock stands still).
            await Eventually.TrueAsync(
                () => store.ParkedClaims == 1 && f.Time.HasTimerDueBy(f.Time.GetUtcNow() + TimeSpan.FromSeconds(1)),
                "the idle worker waits for its next poll", Bound);
            enqueuer.Enqueue();
            await enqueuer.WaitUntilAsync(l => l.Count(x => x.StartsWith("enqueued ", StringComparison.Ordinal)) == n, $"enqueue {n}", Bound);
            var id = enqueuer.Enqueued[^1];
            await Eventually.TrueAsync(() => behavior.Seen.Any(j => j.JobId == id), $"job {id} starts here", Bound);
        }

        behavior.Seen.Select(j => j.JobId).Should().Equal(enqueuer.Enqueued);
    }

    [Fact]
    public async Task An_unusable_wake_file_leaves_pickup_to_the_poll_and_the_worker_process_says_so()
    {
        await using var db = new TestDatabase();
        await File.WriteAllTextAsync(WakeFile.FolderFor(db.Path), "in the way");
        var queue = db.Open(TimeProvider.System);

        using var worker = WorkerProcess.StartHosted(db.Path, "fallback", leaseMs: 30_000, concurrency: 2, holdMs: 0, maintenance: false, pollMs: 100);
        await worker.WaitUntilAsync(l => l.Contains("ready"), "ready line", Bound);
        for (var n = 0; n < 3; n++)
        {
            var id = await queue.Client.EnqueueAsync(JobType, new { Poison = false });
            await worker.WaitUntilAsync(_ => worker.Ran.Contains(id), $"ran {id}", Bound);
        }

        await worker.WaitUntilAsync(
            l => l.Any(x => x.StartsWith("warn Warning", StringComparison.Ordinal) && x.Contains("cannot be watched", StringComparison.Ordinal)),
            "the watch failure's warning", Bound);
        worker.Lines.Count(l => l.Contains("wake-up file", StringComparison.Ordinal)).Should().Be(1, "the fallback is logged once. " + worker.Describe());
    }
}
