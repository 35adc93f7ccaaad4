using SQLitePCL;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.Storage;

/// <summary>
/// The store's busy handler: every connection it opens waits for another connection's lock, up to BusyTimeout, and
/// then fails the way SQLite's own handler would. The lock is real, held by a second connection, so these tests run
/// in real time; they wait for outcomes with generous bounds and assert no duration.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite retries a busy statement itself for its command timeout (the store sets 1 second) in
/// 150 ms sleeps; a lock held past that second is what tells a connection with a busy handler from one without.
/// </remarks>
public sealed class BusyWaitTests
{
    // Past Microsoft.Data.Sqlite's own 1-second retry loop, and still well inside the BusyTimeout the tests set.
    private static readonly TimeSpan PastDriverRetries = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_write_waits_for_a_lock_released_after_the_drivers_own_retries_and_succeeds()
    {
        await using var db = new TestDatabase(configure: o =>
        {
            o.BusyTimeout = TimeSpan.FromSeconds(60);
            o.BusyRetries = 0;
        });
        await db.Client.EnqueueAsync("t", 0);
        using var other = db.Raw();
        var lockTx = other.BeginTransaction();

        // The write's leader runs on the calling thread until SQLite answers, so the call starts on a thread of its own.
        var enqueue = Task.Run(() => db.Client.EnqueueAsync("t", 1));
        await Task.Delay(PastDriverRetries);
        enqueue.IsCompleted.Should().BeFalse("the write waits in the busy handler while the other connection holds the lock");
        lockTx.Rollback();

        (await enqueue.WaitAsync(Eventually.Bound)).Should().BePositive("no store retry is allowed, so the busy handler itself got the lock");
        (await db.Client.GetStatsAsync()).For("default").Pending.Should().Be(2);
    }

    [Fact]
    public async Task A_write_held_off_past_BusyTimeout_waits_then_fails_with_QueueBusyException_and_changes_nothing()
    {
        await using var db = new TestDatabase(configure: o =>
        {
            o.BusyTimeout = TimeSpan.FromSeconds(4);
            o.BusyRetries = 0;
        });
        var id = await db.Client.EnqueueAsync("t", 0);
        using var other = db.Raw();
        var lockTx = other.BeginTransaction();

        var claim = Task.Run(() => db.Worker().ClaimAsync());
        await Task.Delay(PastDriverRetries);
        claim.IsCompleted.Should().BeFalse("the claim waits for the lock before it gives up");

        (await claim.Awaiting(c => c.WaitAsync(Eventually.Bound)).Should().ThrowAsync<QueueBusyException>())
            .WithMessage(Internal.Errors.Busy(db.Path, 1));
        lockTx.Rollback();
        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending, "the failed claim took nothing");
        (await db.Worker().ClaimAsync()).Should().ContainSingle("the store works again once the lock is gone");
    }

    [Fact]
    public async Task A_reader_waits_for_a_lock_with_the_stores_handler()
    {
        await using var db = new TestDatabase(configure: o => o.BusyTimeout = TimeSpan.FromSeconds(60));
        await db.Client.EnqueueAsync("t", 0);
        using var reader = db.Queue.SqliteStore.Connections.OpenReader();

        // SQLite's own handler by default, with the store's timeout; SQLite reports a busy_timeout only for its own
        // handler, so with the store's installed this reads 0.
        Convert.ToInt64(Scalar(reader, "PRAGMA busy_timeout;"), System.Globalization.CultureInfo.InvariantCulture).Should().Be(60_000);
        BusyWait.StoreHandlerAvailable.Should().BeTrue("the e_sqlite3 library is the provider here");
        BusyWait.Install(reader, 60_000, storeHandler: true);
        Convert.ToInt64(Scalar(reader, "PRAGMA busy_timeout;"), System.Globalization.CultureInfo.InvariantCulture).Should().Be(0);

        using var other = db.Raw();
        var lockTx = other.BeginTransaction();

        // Straight through SQLite's C API, so Microsoft.Data.Sqlite's own retries play no part: without a busy handler
        // this returns SQLITE_BUSY at once.
        var begin = Task.Run(() => raw.sqlite3_exec(reader.Handle, "BEGIN IMMEDIATE;"));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        begin.IsCompleted.Should().BeFalse("the reader waits for the lock");
        lockTx.Rollback();

        (await begin.WaitAsync(Eventually.Bound)).Should().Be(raw.SQLITE_OK);
        Execute(reader, "ROLLBACK;");
    }

    [Fact]
    public async Task A_reader_gives_up_with_SQLITE_BUSY_once_its_timeout_passes()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueAsync("t", 0);
        using var reader = db.Queue.SqliteStore.Connections.OpenReader();
        BusyWait.Install(reader, 200, storeHandler: true);
        using var other = db.Raw();
        using var lockTx = other.BeginTransaction();

        var begin = Task.Run(() => raw.sqlite3_exec(reader.Handle, "BEGIN IMMEDIATE;"));

        (await begin.WaitAsync(Eventually.Bound)).Should().Be(raw.SQLITE_BUSY);
    }

    [Fact]
    public async Task A_pooled_reader_gets_the_stores_timeout_back_after_a_checkpoint_set_its_own()
    {
        await using var db = new TestDatabase(configure: o => o.BusyTimeout = TimeSpan.FromSeconds(60));
        await db.Client.EnqueueAsync("t", 0);

        // A checkpoint waits no longer than its own short timeout, on a reader that then goes back to the pool.
        await db.Queue.Maintenance.CheckpointAsync(SqliteQueue.Maintenance.CheckpointMode.Full, TimeSpan.Zero);
        using var reader = db.Queue.SqliteStore.Connections.OpenReader();
        using var other = db.Raw();
        var lockTx = other.BeginTransaction();

        var begin = Task.Run(() => raw.sqlite3_exec(reader.Handle, "BEGIN IMMEDIATE;"));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        begin.IsCompleted.Should().BeFalse("the reader waits with the store's timeout, not the checkpoint's zero");
        lockTx.Rollback();

        (await begin.WaitAsync(Eventually.Bound)).Should().Be(raw.SQLITE_OK);
        Execute(reader, "ROLLBACK;");
    }
}
