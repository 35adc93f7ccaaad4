using SqliteQueue.Monitoring;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.MultiProcess;

namespace SqliteQueue.Tests.Monitoring;

/// <summary>
/// The registry and the health check seen from this process while a hosted worker runs in another, on the real
/// clock: conditions are awaited under a generous bound, and no duration is asserted.
/// </summary>
public sealed class WorkerRegistryProcessTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    /// <summary>Only the live-worker rule, so nothing else in a fresh file (no integrity check yet) decides the status.</summary>
    private static readonly QueueHealthOptions WorkersOnly = new()
    {
        MinLiveWorkers = 1,
        MaxIntegrityCheckAge = null,
        MaxOldestRunnableAge = null,
        MaxDeadPerHour = null,
        MaxWalSize = null,
        MaxBrokenRecurringJobs = null,
    };

    [Fact]
    public async Task A_worker_in_another_process_is_listed_and_after_it_is_killed_its_row_expires_and_health_degrades()
    {
        await using var db = new TestDatabase();
        var queue = db.Open(TimeProvider.System);
        await queue.InitializeAsync();

        using var worker = WorkerProcess.StartHosted(db.Path, "remote-1", leaseMs: 5_000, concurrency: 2, holdMs: 0, maintenance: false, workerHeartbeatMs: 200);
        var listed = await ListedAsync(queue, worker);
        listed.Host.Should().Be(Environment.MachineName);
        listed.ProcessId.Should().Be(worker.ProcessId);
        listed.Queues.Should().Equal("default");
        listed.Concurrency.Should().Be(2);
        listed.ExpiresAt.Should().Be(listed.LastHeartbeatAt + TimeSpan.FromMilliseconds(600));

        var healthy = await queue.Monitor.CheckHealthAsync(WorkersOnly);
        healthy.Status.Should().Be(QueueHealthStatus.Healthy, healthy.ToString());
        healthy.Data[QueueHealthFigures.LiveWorkers].Should().Be(1L);

        worker.Kill();
        await worker.WaitForExitAsync(Bound);
        await Eventually.TrueAsync(async () => (await queue.Monitor.ListWorkersAsync()).Count == 0, "the killed worker's row expires", Bound);

        var degraded = await queue.Monitor.CheckHealthAsync(WorkersOnly);
        degraded.Status.Should().Be(QueueHealthStatus.Degraded);
        degraded.Data[QueueHealthFigures.LiveWorkers].Should().Be(0L);
        degraded.Problems.Should().ContainSingle().Which.Figure.Should().Be(QueueHealthFigures.LiveWorkers);
        WorkerIds(db).Should().Equal(["remote-1"], "an expired row stays in the file until a worker registers or beats");

        using var next = WorkerProcess.StartHosted(db.Path, "remote-2", leaseMs: 5_000, concurrency: 1, holdMs: 0, maintenance: false, workerHeartbeatMs: 200);
        await ListedAsync(queue, next);
        WorkerIds(db).Should().Equal(["remote-2"], "the next registration deleted the dead worker's row");
        (await queue.Monitor.CheckHealthAsync(WorkersOnly)).Status.Should().Be(QueueHealthStatus.Healthy);
    }

    [Fact]
    public async Task A_worker_in_another_process_that_stops_gracefully_is_gone_at_once()
    {
        await using var db = new TestDatabase();
        var queue = db.Open(TimeProvider.System);
        await queue.InitializeAsync();

        // The default beat: its row would live 30 seconds, so being gone right after the exit is the graceful delete.
        using var worker = WorkerProcess.StartHosted(db.Path, "leaving", leaseMs: 5_000, concurrency: 1, holdMs: 0, maintenance: false);
        var listed = await ListedAsync(queue, worker);
        listed.ExpiresAt.Should().Be(listed.LastHeartbeatAt + TimeSpan.FromSeconds(30));

        worker.Stop();
        (await worker.WaitForExitAsync(Bound)).Should().Be(0, worker.Describe());

        (await queue.Monitor.ListWorkersAsync()).Should().BeEmpty();
        WorkerIds(db).Should().BeEmpty();
        (await queue.Monitor.CheckHealthAsync(WorkersOnly)).Status.Should().Be(QueueHealthStatus.Degraded);
    }

    private static async Task<WorkerInfo> ListedAsync(SqliteJobQueue queue, WorkerProcess worker)
    {
        await Eventually.TrueAsync(async () => (await queue.Monitor.ListWorkersAsync()).Any(w => w.Id == worker.WorkerId),
            $"worker {worker.WorkerId} is listed.{worker.Describe()}", Bound);
        return (await queue.Monitor.ListWorkersAsync()).Single(w => w.Id == worker.WorkerId);
    }

    private static List<string> WorkerIds(TestDatabase db)
    {
        using var raw = db.Raw();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT id FROM queue_workers ORDER BY id";
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
