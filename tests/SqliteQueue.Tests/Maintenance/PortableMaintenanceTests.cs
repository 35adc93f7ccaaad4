using Microsoft.Extensions.Logging.Abstractions;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

/// <summary>
/// Maintenance as it runs on a store with no SQLite file: the SQLite store standing in through the maintenance seam
/// alone, with no file store beside it.
/// </summary>
public sealed class PortableMaintenanceTests
{
    [Fact]
    public async Task File_operations_without_a_file_store_throw_NotSupportedException_saying_what_to_use_instead()
    {
        await using var db = new TestDatabase();
        var maintenance = new QueueMaintenance(db.Queue.SqliteStore, files: null);

        (await FluentActions.Awaiting(() => maintenance.VacuumAsync()).Should().ThrowAsync<NotSupportedException>())
            .WithMessage("A vacuum works on the SQLite store's file and this store has none; on a server database, use the server's own VACUUM (VACUUM FULL on PostgreSQL).");
        (await FluentActions.Awaiting(() => maintenance.BackupAsync(Path.Combine(Path.GetTempPath(), "never.db"))).Should().ThrowAsync<NotSupportedException>())
            .WithMessage("A backup works on the SQLite store's file and this store has none; on a server database, use the server's own backup tools (pg_dump or pg_basebackup on PostgreSQL).");
        await FluentActions.Awaiting(() => maintenance.CheckpointAsync()).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => maintenance.IncrementalVacuumAsync()).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => maintenance.CheckIntegrityAsync()).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => maintenance.GetStorageInfoAsync()).Should().ThrowAsync<NotSupportedException>();
    }

    [Fact]
    public async Task Operations_on_jobs_work_without_a_file_store()
    {
        await using var db = new TestDatabase();
        await CompletedAsync(db.Queue, 3);
        await DeadAsync(db.Queue, 2);
        var maintenance = new QueueMaintenance(db.Queue.SqliteStore, files: null);

        (await maintenance.CountJobsAsync(new JobFilter(JobState.Dead))).Should().Be(2);
        (await maintenance.RetryJobsAsync(new JobFilter(JobState.Dead))).Should().Be(2);
        (await maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero })).Completed.Should().Be(3);
        (await maintenance.PurgeQueueAsync(QueueNames.Default)).Deleted.Should().Be(2);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task The_schedule_without_a_file_store_holds_the_lease_and_prunes_and_skips_the_file_steps()
    {
        await using var db = new TestDatabase();
        await CompletedAsync(db.Queue, 2);
        var options = new MaintenanceOptions
        {
            LeaseDuration = TimeSpan.FromHours(1),
            CheckpointInterval = TimeSpan.FromSeconds(1),
            PruneInterval = TimeSpan.FromMinutes(1),
            IntegrityCheckInterval = TimeSpan.FromSeconds(1),
            Retention = new RetentionOptions { Completed = TimeSpan.Zero },
        };
        var maintenance = new QueueMaintenance(db.Queue.SqliteStore, files: null);
        var runner = new MaintenanceRunner(db.Queue.SqliteStore, files: null, maintenance, options, NullLogger.Instance);
        var start = db.Time.GetUtcNow();
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => runner.RunAsync(stop.Token));

        // The next wake is the next prune: no checkpoint or integrity check is due, however short their intervals.
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromMinutes(1)), "the first round ended");
        run.IsCompleted.Should().BeFalse();
        var runs = await db.Queue.SqliteStore.ListRunsAsync(CancellationToken.None);
        runs.Should().ContainSingle().Which.Should().Match<MaintenanceRun>(r => r.Task == "prune" && r.Succeeded && r.Owner == runner.Owner);
        (await db.Client.GetStatsAsync()).For(QueueNames.Default).Completed.Should().Be(0);

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Bound);
    }
}
