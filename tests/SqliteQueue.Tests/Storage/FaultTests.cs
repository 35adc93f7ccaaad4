using System.Reflection;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.Storage;

/// <summary>Faults (a locked file, a full disk) fail the operation at hand and never lose a committed job.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task A_write_waits_out_another_connections_short_lock()
    {
        await using var db = new TestDatabase(configure: o => o.BusyTimeout = TimeSpan.FromSeconds(1));
        await db.Client.EnqueueAsync("t", 0);
        using var other = db.Raw();
        var lockTx = other.BeginTransaction();

        var enqueue = db.Client.EnqueueAsync("t", 1);
        await Task.Delay(200);
        lockTx.Rollback();

        (await enqueue.WaitAsync(Eventually.Bound)).Should().BePositive();
        (await db.Client.GetStatsAsync()).For("default").Pending.Should().Be(2);
    }

    [Fact]
    public async Task A_lock_held_past_every_retry_fails_with_QueueBusyException_and_changes_nothing()
    {
        await using var db = new TestDatabase(configure: o =>
        {
            o.BusyTimeout = TimeSpan.FromSeconds(1);
            o.BusyRetries = 1;
        });
        var id = await db.Client.EnqueueAsync("t", 0);
        using var other = db.Raw();
        using var lockTx = other.BeginTransaction();

        var act = () => db.Worker().ClaimAsync();

        (await act.Should().ThrowAsync<QueueBusyException>()).WithMessage(Internal.Errors.Busy(db.Path, 2));
        lockTx.Rollback();
        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);
        (await db.Worker().ClaimAsync()).Should().ContainSingle("the store works again once the lock is gone");
    }

    [Fact]
    public async Task A_full_disk_fails_the_write_and_keeps_every_committed_job()
    {
        await using var db = new TestDatabase();
        var committed = await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 100));
        var writer = (SqliteConnection)typeof(JobStore).GetField("_writer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(db.Queue.Store)!;
        var pages = Convert.ToInt64(Scalar(writer, "PRAGMA page_count;"), System.Globalization.CultureInfo.InvariantCulture);

        // The file may not grow past its current size: the next writes that need a page fail with SQLITE_FULL.
        Scalar(writer, $"PRAGMA max_page_count = {pages};");
        var big = new string('x', 100_000);
        var act = () => db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 50).Select(_ => big));

        var full = (await act.Should().ThrowAsync<QueueStorageException>()).Which;
        full.InnerException.Should().BeOfType<SqliteException>().Which.SqliteErrorCode.Should().Be(13);
        full.Message.Should().Be(Internal.Errors.StorageFailed(db.Path, 13, full.InnerException!.Message));
        full.Message.Should().Contain("the disk is full");
        var stats = (await db.Client.GetStatsAsync()).For("default");
        stats.Pending.Should().Be(100, "the failed batch added nothing and lost nothing");
        var worker = db.Worker();
        (await worker.Invoking(w => w.ClaimAsync(100)).Should().ThrowAsync<QueueStorageException>("a claim writes too"))
            .Which.InnerException.Should().BeOfType<SqliteException>().Which.SqliteErrorCode.Should().Be(13);
        (await db.Client.GetStatsAsync()).For("default").Running.Should().Be(0, "the failed claim took nothing");

        Scalar(writer, "PRAGMA max_page_count = 1073741823;");
        var claimed = await worker.ClaimAsync(100);
        claimed.Select(j => j.Id).Should().BeEquivalentTo(committed);

        // Completions write history rows: with no page to spare they fail whole, and succeed once there is room.
        pages = Convert.ToInt64(Scalar(writer, "PRAGMA page_count;"), System.Globalization.CultureInfo.InvariantCulture);
        Scalar(writer, $"PRAGMA max_page_count = {pages};");
        (await worker.Invoking(w => w.CompleteManyAsync(claimed)).Should().ThrowAsync<QueueStorageException>("a completion writes too"))
            .Which.InnerException.Should().BeOfType<SqliteException>().Which.SqliteErrorCode.Should().Be(13);
        (await db.Client.GetStatsAsync()).For("default").Running.Should().Be(100, "the failed completion changed nothing");
        Scalar(writer, "PRAGMA max_page_count = 1073741823;");
        (await worker.CompleteManyAsync(claimed)).Should().OnlyContain(applied => applied);
        (await db.Client.EnqueueAsync("t", big)).Should().BePositive("the store recovers once there is room");
    }

    [Fact]
    public async Task A_store_that_cannot_write_reports_it_with_the_library_exception_and_recovers()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 0);
        var writer = (SqliteConnection)typeof(JobStore).GetField("_writer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(db.Queue.Store)!;

        // query_only makes every write on the connection fail as a read-only database would.
        Scalar(writer, "PRAGMA query_only = 1;");
        var act = () => db.Client.EnqueueAsync("t", 1);
        var readOnly = (await act.Should().ThrowAsync<QueueStorageException>()).Which;
        readOnly.InnerException.Should().BeOfType<SqliteException>().Which.SqliteErrorCode.Should().Be(8);
        readOnly.Message.Should().Contain("the file is read-only");
        var cancel = () => db.Client.CancelAsync(id);
        (await cancel.Should().ThrowAsync<QueueStorageException>()).Which.InnerException.Should().BeOfType<SqliteException>();

        Scalar(writer, "PRAGMA query_only = 0;");
        (await db.Client.EnqueueAsync("t", 1)).Should().BeGreaterThan(id);
    }
}
