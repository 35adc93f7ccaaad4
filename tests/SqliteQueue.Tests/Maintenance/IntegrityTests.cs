using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

public sealed class IntegrityTests
{
    [Theory]
    [InlineData(IntegrityLevel.Quick, "Quick: ok")]
    [InlineData(IntegrityLevel.Full, "Full: ok")]
    public async Task A_sound_file_passes_each_level_and_the_run_is_recorded(IntegrityLevel level, string summary)
    {
        await using var db = new TestDatabase();
        await CompletedAsync(db.Queue, 5);
        await DeadAsync(db.Queue, 2);
        await PendingAsync(db.Client, 5);
        var at = db.Time.GetUtcNow();

        var result = await db.Queue.Maintenance.CheckIntegrityAsync(level);

        result.Should().Match<IntegrityResult>(r => r.Level == level && r.Ok && r.Problems.Count == 0 && r.CheckedAt == at);
        var run = (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Should().ContainSingle(r => r.Task == "integrity").Subject;
        run.Should().Match<MaintenanceRun>(r => r.Succeeded && r.Summary == summary && r.Owner == MaintenanceRuns.ByHand && r.StartedAt == at);
    }

    [Theory]
    [InlineData(IntegrityLevel.Quick)]
    [InlineData(IntegrityLevel.Full)]
    public async Task A_file_with_a_damaged_index_page_fails_the_check_and_the_failure_is_recorded(IntegrityLevel level)
    {
        await using var db = new TestDatabase();
        await CompletedAsync(db.Queue, 20);
        await CancelledAsync(db.Client, 20);
        await db.Queue.DisposeAsync();
        SqliteConnection.ClearAllPools();
        var copy = Path.Combine(db.Directory, "damaged.db");
        File.Copy(db.Path, copy);
        File.Exists(db.Path + "-wal").Should().BeFalse("closing the last connection checkpointed the WAL into the file");

        long page, pageSize;
        using (var reader = new SqliteConnection($"Data Source={copy};Mode=ReadOnly;Pooling=False"))
        {
            reader.Open();
            page = Long(reader, "SELECT rootpage FROM sqlite_schema WHERE name = 'queue_jobs_cancelled';");
            pageSize = Long(reader, "PRAGMA page_size;");
        }

        // The index is small enough to be one leaf page: filling it with garbage leaves the tables readable.
        await using (var file = new FileStream(copy, FileMode.Open, FileAccess.Write))
        {
            file.Position = (page - 1) * pageSize;
            await file.WriteAsync(Enumerable.Repeat((byte)0xA5, (int)pageSize).ToArray());
        }

        await using var damaged = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={copy}" }, db.Time);

        var result = await damaged.Maintenance.CheckIntegrityAsync(level);

        result.Ok.Should().BeFalse();
        result.Problems.Should().NotBeEmpty().And.HaveCountLessThanOrEqualTo(100).And.NotContain("ok");
        var run = (await damaged.Maintenance.GetStorageInfoAsync()).LastRuns.Should().ContainSingle(r => r.Task == "integrity").Subject;
        run.Succeeded.Should().BeFalse();
        run.Summary.Should().StartWith($"{level}: {result.Problems.Count} problems, first: {result.Problems[0]}");
    }

    [Fact]
    public async Task A_later_sound_check_replaces_the_recorded_run()
    {
        await using var db = new TestDatabase();
        await db.Queue.Maintenance.CheckIntegrityAsync(IntegrityLevel.Quick);
        db.Time.Advance(TimeSpan.FromHours(1));

        await db.Queue.Maintenance.CheckIntegrityAsync(IntegrityLevel.Full);

        var runs = (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns;
        runs.Should().ContainSingle().Which.Should().Match<MaintenanceRun>(r => r.Summary == "Full: ok" && r.StartedAt == db.Time.GetUtcNow());
    }
}
