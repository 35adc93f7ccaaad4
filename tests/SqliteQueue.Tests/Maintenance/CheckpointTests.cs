using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

public sealed class CheckpointTests
{
    [Theory]
    [InlineData(CheckpointMode.Passive)]
    [InlineData(CheckpointMode.Full)]
    [InlineData(CheckpointMode.Restart)]
    [InlineData(CheckpointMode.Truncate)]
    public async Task Each_mode_copies_the_whole_WAL_back_when_nobody_reads(CheckpointMode mode)
    {
        await using var db = new TestDatabase();
        await PendingAsync(db.Client, 50);
        WalBytes(db.Path).Should().BeGreaterThan(0, "the enqueues went to the WAL");

        var result = await db.Queue.Maintenance.CheckpointAsync(mode);

        result.Mode.Should().Be(mode);
        result.Busy.Should().BeFalse();
        result.LogFrames.Should().BeGreaterThan(0);
        result.CheckpointedFrames.Should().Be(result.LogFrames);
        result.WalBytesAfter.Should().Be(WalBytes(db.Path));
        result.Duration.Should().BeGreaterThanOrEqualTo(TimeSpan.Zero);
        if (mode == CheckpointMode.Truncate)
        {
            result.WalBytesAfter.Should().Be(0);
        }
        else
        {
            result.WalBytesAfter.Should().BeGreaterThan(0, "only TRUNCATE shrinks the file");
        }
    }

    [Fact]
    public async Task Truncate_reports_busy_while_a_reader_holds_a_snapshot_and_truncates_once_it_is_gone()
    {
        await using var db = new TestDatabase();
        await PendingAsync(db.Client, 20);
        var reader = db.Raw();
        Execute(reader, "BEGIN;");
        Scalar(reader, "SELECT COUNT(*) FROM queue_jobs;").Should().Be(20L);
        await PendingAsync(db.Client, 20);

        var busy = await db.Queue.Maintenance.CheckpointAsync(CheckpointMode.Truncate);

        busy.Busy.Should().BeTrue("the reader still needs the frames its snapshot began in");
        busy.WalBytesAfter.Should().BeGreaterThan(0);
        WalBytes(db.Path).Should().BeGreaterThan(0);

        Execute(reader, "COMMIT;");
        reader.Dispose();
        var done = await db.Queue.Maintenance.CheckpointAsync(CheckpointMode.Truncate);

        done.Busy.Should().BeFalse();
        done.WalBytesAfter.Should().Be(0);
        WalBytes(db.Path).Should().Be(0);
        (await db.Client.GetStatsAsync()).For(QueueNames.Default).Pending.Should().Be(40, "a checkpoint loses nothing");
    }

    [Fact]
    public async Task A_zero_busy_timeout_gives_up_at_once_against_a_reader()
    {
        await using var db = new TestDatabase();
        await PendingAsync(db.Client, 5);
        using var reader = db.Raw();
        Execute(reader, "BEGIN;");
        Scalar(reader, "SELECT COUNT(*) FROM queue_jobs;");
        await PendingAsync(db.Client, 5);

        var result = await db.Queue.Maintenance.CheckpointAsync(CheckpointMode.Restart, TimeSpan.Zero);

        result.Busy.Should().BeTrue();
        result.CheckpointedFrames.Should().BeLessThan(result.LogFrames, "the frames written after the reader's snapshot began are needed by nobody, but those before are");
    }

    [Fact]
    public async Task A_memory_queue_reports_a_checkpoint_that_did_nothing()
    {
        var name = $"sqq-mem-{Guid.NewGuid():N}";
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={name};Mode=Memory;Cache=Shared" }, new ManualTimeProvider());
        await queue.Client.EnqueueAsync("t", 1);

        foreach (var mode in Enum.GetValues<CheckpointMode>())
        {
            (await queue.Maintenance.CheckpointAsync(mode)).Should().Be(new CheckpointResult(mode, false, 0, 0, 0, TimeSpan.Zero));
        }

        var info = await queue.Maintenance.GetStorageInfoAsync();
        info.Path.Should().BeNull();
        info.WalBytes.Should().Be(0);
    }

    [Fact]
    public async Task Storage_info_reports_the_file_and_its_WAL()
    {
        await using var db = new TestDatabase();
        await PendingAsync(db.Client, 10);

        var info = await db.Queue.Maintenance.GetStorageInfoAsync();

        info.Path.Should().Be(Path.GetFullPath(db.Path));
        info.FileBytes.Should().Be(new FileInfo(db.Path).Length);
        info.WalBytes.Should().Be(WalBytes(db.Path)).And.BeGreaterThan(0);
        info.PageSize.Should().BeGreaterThan(0);
        info.PageCount.Should().BeGreaterThan(0);
        info.AutoVacuum.Should().Be(AutoVacuumMode.Incremental, "a file the queue creates gives free pages back incrementally");
        info.LastCheckpoint.Should().BeNull("only the maintenance schedule records its checkpoints");
        info.LastRuns.Should().BeEmpty();
    }
}
