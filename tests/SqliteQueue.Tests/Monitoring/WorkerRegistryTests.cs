using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Processing;

namespace SqliteQueue.Tests.Monitoring;

public sealed class WorkerRegistryTests
{
    // Not a multiple of the lease heartbeat's 10 s, so the beat's timer is the only one due at its time.
    private static readonly TimeSpan Beat = TimeSpan.FromSeconds(7);

    private static RuntimeFixture Fixture(LogCapture? logs = null) => new(
        q => q.AddHandler<Work, WorkHandler>("work"),
        s => s.AddSingleton(new Behavior()).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>(),
        o => o.WorkerHeartbeatInterval = Beat,
        logs);

    [Fact]
    public async Task A_running_worker_group_is_listed_with_its_host_process_queues_and_times()
    {
        await using var f = Fixture();
        var start = f.Time.GetUtcNow();

        f.Start(f.Processor(o => { o.WorkerId = "group-a"; o.Queues = ["b", "a,c"]; o.Concurrency = 3; }));

        var worker = await ListedAsync(f, "group-a");
        worker.Host.Should().Be(Environment.MachineName);
        worker.ProcessId.Should().Be(Environment.ProcessId);
        worker.Queues.Should().Equal("b", "a,c");
        worker.Concurrency.Should().Be(3);
        worker.StartedAt.Should().Be(start);
        worker.LastHeartbeatAt.Should().Be(start);
        worker.ExpiresAt.Should().Be(start + 3 * Beat);
    }

    [Fact]
    public async Task Each_beat_moves_the_heartbeat_and_the_expiry_on_the_store_clock()
    {
        await using var f = Fixture();
        var start = f.Time.GetUtcNow();
        f.Start(f.Processor(o => o.WorkerId = "beating"));
        await ListedAsync(f, "beating");

        for (var beat = 1; beat <= 3; beat++)
        {
            var due = start + beat * Beat;
            await Eventually.TrueAsync(() => f.Time.HasTimerDueAt(due), "the registration waits for its next beat");
            f.Time.Advance(due - f.Time.GetUtcNow());

            await Eventually.TrueAsync(async () => (await f.Queue.Monitor.ListWorkersAsync()).SingleOrDefault()?.LastHeartbeatAt == due, $"beat {beat} is written");
            var worker = (await f.Queue.Monitor.ListWorkersAsync()).Single();
            worker.StartedAt.Should().Be(start);
            worker.ExpiresAt.Should().Be(due + 3 * Beat);
        }
    }

    [Fact]
    public async Task A_graceful_stop_removes_the_row_at_once()
    {
        await using var f = Fixture();
        var (run, stop) = f.Start(f.Processor(o => o.WorkerId = "leaving"));
        await ListedAsync(f, "leaving");

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Bound);

        (await f.Queue.Monitor.ListWorkersAsync()).Should().BeEmpty();
        RowCount(f.Db).Should().Be(0, "the row is deleted, not left to expire");
    }

    [Fact]
    public async Task A_row_that_stopped_beating_is_hidden_once_expired_and_deleted_by_the_next_registration()
    {
        var logs = new LogCapture();
        await using var f = Fixture(logs);
        var now = f.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await f.Queue.InitializeAsync();
        using (var raw = f.Db.Raw())
        {
            // What a process killed mid-run leaves behind: its last beat, never deleted.
            Execute(raw, $"INSERT INTO queue_workers VALUES ('crashed', 'other-host', 4242, '[\"default\"]', 2, {now}, {now}, {now + 21_000})");
        }

        (await f.Queue.Monitor.ListWorkersAsync()).Select(w => w.Id).Should().Equal("crashed");
        f.Time.Advance(TimeSpan.FromSeconds(21));
        (await f.Queue.Monitor.ListWorkersAsync()).Select(w => w.Id).Should().Equal(["crashed"], "it expires after its expiry, not at it");
        f.Time.Advance(TimeSpan.FromMilliseconds(1));
        (await f.Queue.Monitor.ListWorkersAsync()).Should().BeEmpty("an expired row is left out of listings");
        RowCount(f.Db).Should().Be(1, "reading never deletes");

        f.Start(f.Processor(o => o.WorkerId = "next"));
        await ListedAsync(f, "next");

        RowCount(f.Db).Should().Be(1, "the next registration deleted the expired row");

        // The warning is written once the registration's write has committed, which the listing may see first.
        await Eventually.TrueAsync(() => logs.WithId(2122).Any(), "the removal of the expired row is logged");
        logs.WithId(2122).Should().ContainSingle().Which.Message.Should().Be(
            "Worker crashed on other-host (process 4242) stopped beating without unregistering (its process died or hung); its registration expired and was removed");
    }

    [Fact]
    public async Task A_failed_beat_is_logged_and_the_worker_keeps_running_and_beating()
    {
        var logs = new LogCapture();
        await using var f = Fixture(logs);
        var start = f.Time.GetUtcNow();
        f.Start(f.Processor(o => o.WorkerId = "resilient"));
        await ListedAsync(f, "resilient");
        using (var raw = f.Db.Raw())
        {
            // A trigger that refuses the beat's write stands in for a file that cannot be written for a while.
            Execute(raw, "CREATE TRIGGER refuse_beat BEFORE UPDATE ON queue_workers BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
        }

        await Eventually.TrueAsync(() => f.Time.HasTimerDueAt(start + Beat), "the first beat is due");
        f.Time.Advance(Beat);
        await Eventually.TrueAsync(() => logs.WithId(2121).Any(), "the failed beat is logged");
        logs.WithId(2121).First().Message.Should().Be("Worker resilient could not write its registration; it tries again in 00:00:07");

        using (var raw = f.Db.Raw())
        {
            Execute(raw, "DROP TRIGGER refuse_beat");
        }

        var id = await f.Client.EnqueueAsync("work", new Work(1));
        await Eventually.TrueAsync(async () => (await f.JobAsync(id)).State == JobState.Completed, "the worker still runs jobs");
        await Eventually.TrueAsync(() => f.Time.HasTimerDueAt(start + 2 * Beat), "the next beat is due");
        f.Time.Advance(Beat);
        await Eventually.TrueAsync(async () => (await f.Queue.Monitor.ListWorkersAsync()).SingleOrDefault()?.LastHeartbeatAt == start + 2 * Beat, "the next beat is written");
    }

    private static async Task<SqliteQueue.Monitoring.WorkerInfo> ListedAsync(RuntimeFixture f, string id)
    {
        await Eventually.TrueAsync(async () => (await f.Queue.Monitor.ListWorkersAsync()).Any(w => w.Id == id), $"worker {id} is listed");
        return (await f.Queue.Monitor.ListWorkersAsync()).Single(w => w.Id == id);
    }

    private static long RowCount(TestDatabase db)
    {
        using var raw = db.Raw();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM queue_workers";
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(Microsoft.Data.Sqlite.SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
