using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

public sealed class VacuumTests
{
    private static readonly string Padding = new('x', 1000);

    [Fact]
    public async Task IncrementalVacuumAsync_gives_back_every_free_page_after_a_large_delete()
    {
        await using var db = new TestDatabase();
        await FillAndDeleteAsync(db, 3000);
        var before = await db.Queue.Maintenance.GetStorageInfoAsync();
        before.FreePages.Should().BeGreaterThan(100, "deleted rows leave their pages free");

        var result = await db.Queue.Maintenance.IncrementalVacuumAsync();

        result.PagesBefore.Should().Be(before.PageCount);
        result.FreePagesBefore.Should().Be(before.FreePages);
        result.PagesAfter.Should().BeLessThan(result.PagesBefore);
        result.FreePagesAfter.Should().Be(0);
        result.BytesReleased.Should().Be((result.PagesBefore - result.PagesAfter) * result.PageSize);
        var after = await db.Queue.Maintenance.GetStorageInfoAsync();
        after.PageCount.Should().Be(result.PagesAfter);
        after.LastRuns.Should().ContainSingle(r => r.Task == "vacuum").Which.Summary.Should().StartWith("incremental:");
    }

    [Fact]
    public async Task IncrementalVacuumAsync_releases_at_most_the_pages_asked_for()
    {
        await using var db = new TestDatabase();
        await FillAndDeleteAsync(db, 1000);

        var result = await db.Queue.Maintenance.IncrementalVacuumAsync(maxPages: 10);

        result.FreePagesBefore.Should().BeGreaterThan(10);
        (result.PagesBefore - result.PagesAfter).Should().Be(10);
        result.FreePagesAfter.Should().Be(result.FreePagesBefore - 10);
    }

    [Fact]
    public async Task VacuumAsync_converts_a_file_without_auto_vacuum_and_the_queue_keeps_working()
    {
        await using var db = new TestDatabase();
        using (var app = db.Raw())
        {
            // The application's file came first, with its own table and SQLite's default of no auto-vacuum.
            Execute(app, "CREATE TABLE app_orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO app_orders (total) VALUES (9.5);");
        }

        var worker = db.Worker();
        var early = await db.Client.EnqueueAsync("t", 1);
        (await db.Queue.Maintenance.GetStorageInfoAsync()).AutoVacuum.Should().Be(AutoVacuumMode.None);
        await FillAndDeleteAsync(db, 500);

        var result = await db.Queue.Maintenance.VacuumAsync();

        result.FreePagesBefore.Should().BeGreaterThan(0);
        result.FreePagesAfter.Should().Be(0);
        result.PagesAfter.Should().BeLessThan(result.PagesBefore);
        using (var check = db.Raw())
        {
            Scalar(check, "PRAGMA auto_vacuum;").Should().Be(2L);
            Scalar(check, "PRAGMA journal_mode;").Should().Be("wal");
            Scalar(check, "SELECT total FROM app_orders;").Should().Be(9.5);
        }

        // Statements prepared before the VACUUM must still run after it.
        var late = await db.Client.EnqueueAsync("t", 2);
        var claimed = await worker.ClaimAsync(10);
        claimed.Select(j => j.Id).Should().BeEquivalentTo([early, late]);
        (await worker.CompleteManyAsync(claimed)).Should().AllSatisfy(ok => ok.Should().BeTrue());
        (await db.Client.GetJobAsync(late))!.State.Should().Be(JobState.Completed);
        (await db.Queue.Maintenance.GetStorageInfoAsync()).AutoVacuum.Should().Be(AutoVacuumMode.Incremental);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task After_a_VACUUM_incremental_vacuums_work_on_the_converted_file()
    {
        await using var db = new TestDatabase();
        using (var app = db.Raw())
        {
            Execute(app, "CREATE TABLE app_notes (id INTEGER PRIMARY KEY, body TEXT);");
        }

        await db.Queue.Maintenance.VacuumAsync();
        await FillAndDeleteAsync(db, 1000);

        var result = await db.Queue.Maintenance.IncrementalVacuumAsync();

        result.FreePagesBefore.Should().BeGreaterThan(0);
        result.FreePagesAfter.Should().Be(0);
        result.PagesAfter.Should().BeLessThan(result.PagesBefore);
    }

    [Fact]
    public async Task A_second_store_on_the_file_keeps_working_after_the_first_one_vacuums()
    {
        await using var db = new TestDatabase();
        var other = db.Open();
        await other.Client.EnqueueAsync("t", 1);
        var otherWorker = other.Create();
        await FillAndDeleteAsync(db, 300);

        await db.Queue.Maintenance.VacuumAsync();

        await other.Client.EnqueueAsync("t", 2);
        var claimed = await otherWorker.ClaimAsync(10);
        claimed.Should().HaveCount(2);
        (await otherWorker.CompleteManyAsync(claimed)).Should().AllSatisfy(ok => ok.Should().BeTrue());
        await AssertCountsExactAsync(other.Client, db.ConnectionString);
    }

    [Fact]
    public async Task A_memory_queue_can_be_vacuumed_checked_pruned_and_backed_up_to_a_file()
    {
        await using var db = new TestDatabase();
        var name = $"sqq-mem-{Guid.NewGuid():N}";
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={name};Mode=Memory;Cache=Shared" }, db.Time);
        var done = await CompletedAsync(queue, 3);
        var pending = await PendingAsync(queue.Client, 2);

        (await queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero })).Completed.Should().Be(3);
        await queue.Maintenance.IncrementalVacuumAsync();
        await queue.Maintenance.VacuumAsync();
        (await queue.Maintenance.CheckIntegrityAsync(IntegrityLevel.Full)).Ok.Should().BeTrue();
        var backup = await queue.Maintenance.BackupAsync(Path.Combine(db.Directory, "memory-backup.db"));

        using var copy = Open($"Data Source={backup.Path}");
        Long(copy, "SELECT COUNT(*) FROM queue_jobs;").Should().Be(pending.Count);
        Long(copy, $"SELECT COUNT(*) FROM queue_jobs WHERE id IN ({Ids(done)});").Should().Be(0);
        (await queue.Maintenance.GetStorageInfoAsync()).LastRuns.Select(r => r.Task).Should().BeEquivalentTo(["prune", "vacuum", "integrity", "backup"]);
    }

    /// <summary>Fills the file with <paramref name="count"/> large jobs and deletes them again, leaving free pages.</summary>
    private static async Task FillAndDeleteAsync(TestDatabase db, int count)
    {
        var jobs = Enumerable.Range(0, count).Select(i => new NewJob("bulky", $"{{\"pad\":\"{Padding}\"}}")).ToList();
        var ids = await db.Client.EnqueueManyAsync(jobs);
        (await db.Queue.Maintenance.DeleteJobsAsync(ids)).Should().Be(count);
    }
}
