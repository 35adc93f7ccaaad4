using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

/// <summary>
/// The maintenance schedule on a manual clock. Each round ends with the loop parked on a timer for its next wake,
/// so a test moves the clock and then waits for that timer before looking at what the round did.
/// </summary>
public sealed class MaintenanceRunnerTests
{
    /// <summary>Options that do only what a test turns on: every interval as long as it may be.</summary>
    private static MaintenanceOptions Quiet() => new()
    {
        LeaseDuration = TimeSpan.FromHours(1),
        CheckpointInterval = TimeSpan.FromHours(1),
        PruneInterval = TimeSpan.FromDays(1),
        IntegrityCheckInterval = null,
        Retention = new RetentionOptions { Completed = null, Cancelled = null, Dead = null },
    };

    [Fact]
    public async Task Of_two_stores_running_maintenance_one_holds_the_lease_and_the_other_takes_over_when_it_stops()
    {
        await using var db = new TestDatabase();
        var options = Quiet();
        options.LeaseDuration = TimeSpan.FromSeconds(30);
        var start = db.Time.GetUtcNow();
        await using var first = Run(db.Queue, options);
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromSeconds(10)), "the holder waits to renew");
        var holder = Lease(db);
        holder.Term.Should().Be(1);

        // Started a second later, so its wake is a timer of its own.
        db.Time.Advance(TimeSpan.FromSeconds(1));
        var second = db.Open();
        await using var standby = Run(second, options);
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromSeconds(11)), "the standby waits to try again");

        Lease(db).Should().Be(holder, "the standby cannot take a live lease");
        (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Should().ContainSingle(r => r.Task == "prune")
            .Which.Owner.Should().Be(holder.Owner, "only the holder works");

        await first.StopAsync();
        Lease(db).ExpiresAt.Should().Be(0, "a graceful stop lets the lease go at once");
        db.Time.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => Lease(db).Term == 2, "the standby takes over at its next try");

        var taken = Lease(db);
        taken.Owner.Should().NotBe(holder.Owner);
        taken.ExpiresAt.Should().Be((db.Time.GetUtcNow() + options.LeaseDuration).ToUnixTimeMilliseconds());
        await Eventually.TrueAsync(async () => (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Single(r => r.Task == "prune").Owner == taken.Owner,
            "the new holder runs its own prune");
    }

    [Fact]
    public async Task A_holder_whose_lease_expired_and_was_taken_is_fenced_out_of_every_write()
    {
        await using var db = new TestDatabase();
        var other = db.Open();
        var old = await CompletedAsync(db.Queue, 3);
        var duration = TimeSpan.FromSeconds(10);
        var stale = new MaintenanceLease(db.Queue.SqliteStore, MaintenanceRunner.LeaseName, "stale", duration);
        var fresh = new MaintenanceLease(other.SqliteStore, MaintenanceRunner.LeaseName, "fresh", duration);
        (await stale.AcquireOrRenewAsync(CancellationToken.None)).Should().BeTrue();
        (await fresh.AcquireOrRenewAsync(CancellationToken.None)).Should().BeFalse();

        // The stale holder stalls (it never renews) past its lease; the other store takes over.
        db.Time.Advance(duration + TimeSpan.FromMilliseconds(1));
        (await fresh.AcquireOrRenewAsync(CancellationToken.None)).Should().BeTrue();
        Lease(db).Should().Be(new LeaseRow("fresh", 2, db.Time.GetUtcNow().ToUnixTimeMilliseconds() + 10_000));
        stale.Held.Should().BeTrue("nothing told the stalled process yet");

        var retention = new RetentionOptions { Completed = TimeSpan.Zero };
        await FluentActions.Awaiting(() => Pruner.PruneAsync(db.Queue.SqliteStore, retention, stale, CancellationToken.None))
            .Should().ThrowAsync<MaintenanceLeaseLostException>();

        stale.Held.Should().BeFalse();
        Long(db, $"SELECT COUNT(*) FROM queue_jobs WHERE id IN ({Ids(old)});").Should().Be(3, "the fenced prune deleted nothing");
        await FluentActions.Awaiting(() => FileCare.IncrementalVacuumAsync(db.Queue.SqliteStore, null, stale, CancellationToken.None))
            .Should().ThrowAsync<MaintenanceLeaseLostException>();
        (await stale.AcquireOrRenewAsync(CancellationToken.None)).Should().BeFalse("the lease is live in other hands");
        Lease(db).Owner.Should().Be("fresh");

        (await Pruner.PruneAsync(other.SqliteStore, retention, fresh, CancellationToken.None)).Completed.Should().Be(3, "the new holder is not fenced");
    }

    [Fact]
    public async Task A_holder_whose_lease_merely_expired_cannot_write_under_it_either()
    {
        await using var db = new TestDatabase();
        await CompletedAsync(db.Queue, 2);
        var lease = new MaintenanceLease(db.Queue.SqliteStore, MaintenanceRunner.LeaseName, "slow", TimeSpan.FromSeconds(10));
        (await lease.AcquireOrRenewAsync(CancellationToken.None)).Should().BeTrue();
        db.Time.Advance(TimeSpan.FromSeconds(10));
        (await db.Queue.SqliteStore.WriteAsync(lease, static (s, tx, l) => { s.CheckLease(tx, l); return true; }, CancellationToken.None))
            .Should().BeTrue("a lease is held up to and including its expiry");

        // That check renewed the lease for another 10 s: a holder that then stalls past it has lost it.
        db.Time.Advance(TimeSpan.FromSeconds(10) + TimeSpan.FromMilliseconds(1));

        await FluentActions.Awaiting(() => db.Queue.SqliteStore.WriteAsync(lease, static (s, tx, l) => { s.CheckLease(tx, l); return true; }, CancellationToken.None))
            .Should().ThrowAsync<MaintenanceLeaseLostException>();
        await FluentActions.Awaiting(() => Pruner.PruneAsync(db.Queue.SqliteStore, new RetentionOptions { Completed = TimeSpan.Zero }, lease, CancellationToken.None))
            .Should().ThrowAsync<MaintenanceLeaseLostException>();
        (await db.Client.GetStatsAsync()).For(QueueNames.Default).Completed.Should().Be(2);
    }

    [Fact]
    public async Task A_task_fenced_out_by_a_lost_lease_leaves_the_new_holders_record_alone()
    {
        await using var db = new TestDatabase();
        var other = db.Open();
        await CompletedAsync(db.Queue, 2);
        var duration = TimeSpan.FromSeconds(10);
        var stale = new MaintenanceLease(db.Queue.SqliteStore, MaintenanceRunner.LeaseName, "stale", duration);
        var fresh = new MaintenanceLease(other.SqliteStore, MaintenanceRunner.LeaseName, "fresh", duration);
        (await stale.AcquireOrRenewAsync(CancellationToken.None)).Should().BeTrue();
        db.Time.Advance(duration + TimeSpan.FromSeconds(1));
        (await fresh.AcquireOrRenewAsync(CancellationToken.None)).Should().BeTrue();
        var retention = new RetentionOptions { Completed = null };
        var freshMaintenance = (QueueMaintenance)other.Maintenance;
        await freshMaintenance.RecordedAsync(MaintenanceRuns.Prune, "fresh", () => Pruner.PruneAsync(other.SqliteStore, retention, fresh, CancellationToken.None),
            r => (true, QueueMaintenance.Describe(r)), CancellationToken.None);

        var staleMaintenance = (QueueMaintenance)db.Queue.Maintenance;
        await FluentActions.Awaiting(() => staleMaintenance.RecordedAsync(MaintenanceRuns.Prune, "stale",
                () => Pruner.PruneAsync(db.Queue.SqliteStore, new RetentionOptions { Completed = TimeSpan.Zero }, stale, CancellationToken.None),
                r => (true, QueueMaintenance.Describe(r)), CancellationToken.None))
            .Should().ThrowAsync<MaintenanceLeaseLostException>();

        var run = (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Should().ContainSingle().Subject;
        run.Should().Match<MaintenanceRun>(r => r.Owner == "fresh" && r.Succeeded);
    }

    [Fact]
    public async Task Finished_jobs_are_pruned_on_the_prune_interval()
    {
        await using var db = new TestDatabase();
        var start = db.Time.GetUtcNow();
        var ids = await CompletedAsync(db.Queue, 2);
        var options = Quiet();
        options.PruneInterval = TimeSpan.FromMinutes(1);
        options.Retention = new RetentionOptions { Completed = TimeSpan.FromSeconds(30) };
        await using var runner = Run(db.Queue, options);
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromMinutes(1)), "the schedule waits for the next prune");
        Long(db, "SELECT COUNT(*) FROM queue_jobs;").Should().Be(2, "the jobs were inside their retention at the first prune");

        db.Time.Advance(TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromMinutes(2)), "the second prune ran");

        Long(db, $"SELECT COUNT(*) FROM queue_jobs WHERE id IN ({Ids(ids)});").Should().Be(0);
        var run = (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Single(r => r.Task == "prune");
        run.Should().Match<MaintenanceRun>(r => r.Succeeded && r.StartedAt == start + TimeSpan.FromMinutes(1) && r.Owner == Lease(db).Owner);
        run.Summary.Should().StartWith("deleted 2 completed");
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Fact]
    public async Task A_prune_that_leaves_much_of_the_file_free_is_followed_by_an_incremental_vacuum()
    {
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();
        var now = db.Time.GetUtcNow().ToUnixTimeMilliseconds();
        using (var connection = db.Raw())
        {
            // A thousand finished jobs of 2 KB each: pruned, they free most of the file.
            SqlCommands.Execute(connection, $"""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
                INSERT INTO queue_jobs (queue, type, payload, state, run_at, attempt, max_attempts, created_at, finished_at)
                SELECT 'default', 't', json_object('p', replace(hex(zeroblob(1000)), '0', 'x')), 'completed', {now}, 1, 5, {now}, {now} FROM n;
                """);
        }

        var options = Quiet();
        options.Retention = new RetentionOptions { Completed = TimeSpan.Zero };
        var start = db.Time.GetUtcNow();
        var before = await db.Queue.Maintenance.GetStorageInfoAsync();

        await using var runner = Run(db.Queue, options);
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromMinutes(20)), "the first round ended");

        var info = await db.Queue.Maintenance.GetStorageInfoAsync();
        info.FreePages.Should().Be(0);
        info.PageCount.Should().BeLessThan(before.PageCount / 2);
        info.LastRuns.Single(r => r.Task == "vacuum").Summary.Should().StartWith("incremental:");
    }

    [Fact]
    public async Task An_idle_WAL_is_truncated_to_zero_bytes_and_a_busy_one_only_checkpointed()
    {
        await using var db = new TestDatabase();
        await PendingAsync(db.Client, 10);
        var options = Quiet();
        options.CheckpointInterval = TimeSpan.FromSeconds(1);
        var start = db.Time.GetUtcNow();
        await using var runner = Run(db.Queue, options);
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromSeconds(1)), "the first round ended");
        WalBytes(db.Path).Should().BeGreaterThan(0, "the first round has no earlier round to compare with, and records its prune");

        db.Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromSeconds(2)), "the second round ended");

        WalBytes(db.Path).Should().Be(0, "nothing but maintenance wrote since the last round");
        (await db.Queue.Maintenance.GetStorageInfoAsync()).LastCheckpoint!.Mode.Should().Be(CheckpointMode.Truncate);

        await db.Open().Client.EnqueueAsync("t", 1);
        db.Time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromSeconds(3)), "the third round ended");

        var last = (await db.Queue.Maintenance.GetStorageInfoAsync()).LastCheckpoint!;
        last.Mode.Should().Be(CheckpointMode.Passive, "another process wrote since the last round");
        WalBytes(db.Path).Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Scheduled_backups_keep_only_the_newest_ones()
    {
        await using var db = new TestDatabase();
        await PendingAsync(db.Client, 3);
        var directory = Path.Combine(db.Directory, "backups");
        Directory.CreateDirectory(directory);

        // Another queue file's backups and a file of the user's, in the same directory, are not this queue's to delete.
        string[] foreign = ["jobs-eu-20290101T000000Z.db", "jobs-eu-20300101T000000Z.db", "jobs-keep-me-Z.db", "jobs-2029.db"];
        foreach (var name in foreign)
        {
            await File.WriteAllTextAsync(Path.Combine(directory, name), "not a backup of jobs.db");
        }

        var options = Quiet();
        options.BackupInterval = TimeSpan.FromMinutes(1);
        options.BackupDirectory = directory;
        options.BackupsToKeep = 2;
        var start = db.Time.GetUtcNow();
        await using var runner = Run(db.Queue, options);
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromMinutes(1)), "the first backup was written");
        Directory.GetFiles(directory).Should().HaveCount(foreign.Length + 1);

        for (var i = 2; i <= 5; i++)
        {
            db.Time.Advance(TimeSpan.FromMinutes(1));
            var next = start + TimeSpan.FromMinutes(i);
            await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(next), "the next backup was written");
        }

        Directory.GetFiles(directory).Select(Path.GetFileName).Should().BeEquivalentTo(["jobs-20300101T000300Z.db", "jobs-20300101T000400Z.db", .. foreign]);
        var run = (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Single(r => r.Task == "backup");
        run.Should().Match<MaintenanceRun>(r => r.Succeeded && r.StartedAt == start + TimeSpan.FromMinutes(4));
        using var copy = Open($"Data Source={Path.Combine(directory, "jobs-20300101T000400Z.db")}");
        Long(copy, "SELECT COUNT(*) FROM queue_jobs;").Should().Be(3);
    }

    [Fact]
    public async Task The_integrity_check_runs_at_its_interval_counted_from_the_last_recorded_run()
    {
        await using var db = new TestDatabase();
        var start = db.Time.GetUtcNow();
        await db.Queue.Maintenance.CheckIntegrityAsync();
        db.Time.Advance(TimeSpan.FromSeconds(20));
        var options = Quiet();
        options.IntegrityCheckInterval = TimeSpan.FromMinutes(1);

        await using var runner = Run(db.Queue, options);
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromMinutes(1)), "the schedule waits a minute from the recorded check");
        (await IntegrityAsync()).Owner.Should().Be(MaintenanceRuns.ByHand, "the check by hand 20 seconds ago still counts");

        db.Time.Advance(TimeSpan.FromSeconds(40));
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromMinutes(2)), "the scheduled check ran");

        (await IntegrityAsync()).Should().Match<MaintenanceRun>(r => r.Succeeded && r.Summary == "Quick: ok" && r.StartedAt == start + TimeSpan.FromMinutes(1) && r.Owner == Lease(db).Owner);

        db.Time.Advance(TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromMinutes(3)), "the next check ran");
        (await IntegrityAsync()).StartedAt.Should().Be(start + TimeSpan.FromMinutes(2));

        async Task<MaintenanceRun> IntegrityAsync() =>
            (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Single(r => r.Task == "integrity");
    }

    [Fact]
    public async Task A_schedule_that_cannot_read_its_file_keeps_running_and_retries_after_a_pause()
    {
        await using var db = new TestDatabase();
        var path = Path.Combine(db.Directory, "notes.db");
        await File.WriteAllTextAsync(path, new string('n', 5000));
        var logs = new LogCapture();
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={path}" }, db.Time, logs);
        var start = db.Time.GetUtcNow();

        await using var runner = Run(queue, Quiet());
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromSeconds(30)), "the failed round waits before trying again");

        logs.WithId(4005).Should().ContainSingle("one failed round, not a loop spinning on it");
        db.Time.Advance(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => db.Time.HasTimerDueAt(start + TimeSpan.FromSeconds(60)), "the second try failed and waits again");
        logs.WithId(4005).Should().HaveCount(2);
        runner.IsRunning.Should().BeTrue();
    }

    private sealed record LeaseRow(string Owner, long Term, long ExpiresAt);

    private static LeaseRow Lease(TestDatabase db)
    {
        using var connection = db.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT owner, term, expires_at FROM queue_leases WHERE name = 'maintenance';";
        using var reader = command.ExecuteReader();
        reader.Read().Should().BeTrue("the lease row exists");
        return new LeaseRow(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static Runner Run(SqliteJobQueue queue, MaintenanceOptions options)
    {
        var stop = new CancellationTokenSource();
        return new Runner(Task.Run(() => queue.RunMaintenanceAsync(options, stop.Token)), stop);
    }

    /// <summary>A running schedule, stopped (and its errors surfaced) when the test ends.</summary>
    private sealed class Runner(Task run, CancellationTokenSource stop) : IAsyncDisposable
    {
        public bool IsRunning => !run.IsCompleted;

        public async Task StopAsync()
        {
            await stop.CancelAsync();
            await run.WaitAsync(Eventually.Bound);
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            stop.Dispose();
        }
    }
}
