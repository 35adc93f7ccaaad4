using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Monitoring;
using SqliteQueue.Monitoring;
using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Monitoring;

public sealed class HealthTests
{
    private static readonly string[] EveryFigure =
    [
        QueueHealthFigures.StoreReachable, QueueHealthFigures.SchemaVersion, QueueHealthFigures.SchemaVersionExpected,
        QueueHealthFigures.RunnableJobs, QueueHealthFigures.OldestRunnableAge, QueueHealthFigures.DeadLastHour,
        QueueHealthFigures.LiveWorkers, QueueHealthFigures.FileBytes, QueueHealthFigures.WalBytes,
        QueueHealthFigures.IntegrityCheck, QueueHealthFigures.IntegrityCheckAge, QueueHealthFigures.MaintenanceAge,
        QueueHealthFigures.BrokenRecurringJobs, QueueHealthFigures.BrokenRecurringNames,
    ];

    [Fact]
    public async Task A_sound_file_with_a_live_worker_is_healthy_and_reports_every_figure()
    {
        await using var db = await HealthyAsync();

        var report = await db.Queue.Monitor.CheckHealthAsync();

        report.Status.Should().Be(QueueHealthStatus.Healthy);
        report.Problems.Should().BeEmpty();
        report.Exception.Should().BeNull();
        report.CheckedAt.Should().Be(db.Time.GetUtcNow());
        report.ToString().Should().Be("healthy");
        report.Data.Keys.Should().BeEquivalentTo(EveryFigure);
        report.Data[QueueHealthFigures.StoreReachable].Should().Be(true);
        report.Data[QueueHealthFigures.SchemaVersion].Should().Be((long)SqliteQueue.Internal.Storage.Migrator.LatestVersion);
        report.Data[QueueHealthFigures.LiveWorkers].Should().Be(1L);
        report.Data[QueueHealthFigures.RunnableJobs].Should().Be(0L);
        report.Data[QueueHealthFigures.OldestRunnableAge].Should().Be(0.0);
        report.Data[QueueHealthFigures.DeadLastHour].Should().Be(0L);
        report.Data[QueueHealthFigures.IntegrityCheck].Should().Be("ok");
        report.Data[QueueHealthFigures.IntegrityCheckAge].Should().Be(0.0);
        report.Data[QueueHealthFigures.MaintenanceAge].Should().Be(0.0);
        report.Data[QueueHealthFigures.BrokenRecurringJobs].Should().Be(0L);
        report.Data[QueueHealthFigures.BrokenRecurringNames].Should().Be("");
        report.Data[QueueHealthFigures.FileBytes].Should().Be(new FileInfo(db.Path).Length);
        report.Data[QueueHealthFigures.WalBytes].Should().Be(new FileInfo(db.Path + "-wal").Length);
    }

    [Fact]
    public async Task A_queue_whose_oldest_runnable_job_waited_too_long_is_degraded_and_named()
    {
        await using var db = await HealthyAsync();
        await db.Client.EnqueueAsync("t", "{}", new EnqueueOptions { Queue = "slow" });
        await db.Client.EnqueueAsync("t", "{}", new EnqueueOptions { Queue = "fresh", Delay = TimeSpan.FromMinutes(4) });
        db.Time.Advance(TimeSpan.FromMinutes(5));
        await KeepAliveAsync(db);

        (await db.Queue.Monitor.CheckHealthAsync()).Status.Should().Be(QueueHealthStatus.Healthy, "5 minutes is the limit, not over it");
        db.Time.Advance(TimeSpan.FromSeconds(1));
        await KeepAliveAsync(db);
        var report = await db.Queue.Monitor.CheckHealthAsync();

        report.Status.Should().Be(QueueHealthStatus.Degraded);
        var problem = report.Problems.Should().ContainSingle().Subject;
        problem.Figure.Should().Be("jobs.oldest_runnable_age_seconds:slow");
        problem.Status.Should().Be(QueueHealthStatus.Degraded);
        problem.Description.Should().Be("Queue 'slow' has 1 runnable job and the oldest has waited 00:05:01, longer than the 00:05:00 allowed (MaxOldestRunnableAge): its workers are missing, stuck or too few.");
        report.Data["jobs.oldest_runnable_age_seconds:slow"].Should().Be(301.0);
        report.Data["jobs.oldest_runnable_age_seconds:fresh"].Should().Be(61.0);
        report.Data[QueueHealthFigures.OldestRunnableAge].Should().Be(301.0);
        report.Data[QueueHealthFigures.RunnableJobs].Should().Be(2L);

        (await db.Queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MaxOldestRunnableAge = null })).Status.Should().Be(QueueHealthStatus.Healthy);
    }

    [Fact]
    public async Task Dead_jobs_in_the_last_hour_above_the_limit_degrade_and_older_ones_do_not_count()
    {
        await using var db = await HealthyAsync();
        var worker = db.Worker();
        for (var i = 0; i < 3; i++)
        {
            await db.Client.EnqueueAsync("t", "{}", new EnqueueOptions { MaxAttempts = 1 });
            var job = (await worker.ClaimAsync()).Single();
            await worker.FailAsync(job, "boom");
        }

        var options = new QueueHealthOptions { MaxDeadPerHour = 2 };
        var report = await db.Queue.Monitor.CheckHealthAsync(options);

        report.Status.Should().Be(QueueHealthStatus.Degraded);
        report.Problems.Should().ContainSingle().Which.Should().Be(new QueueHealthProblem(
            QueueHealthFigures.DeadLastHour, QueueHealthStatus.Degraded, "3 jobs died in the last hour, more than the 2 allowed (MaxDeadPerHour)."));
        report.Data[QueueHealthFigures.DeadLastHour].Should().Be(3L);

        db.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(1));
        await KeepAliveAsync(db);
        var later = await db.Queue.Monitor.CheckHealthAsync(options);
        later.Status.Should().Be(QueueHealthStatus.Healthy);
        later.Data[QueueHealthFigures.DeadLastHour].Should().Be(0L);
    }

    [Fact]
    public async Task The_dead_count_reads_a_range_of_the_dead_jobs_finish_index()
    {
        await using var db = new TestDatabase();
        await db.Client.GetStatsAsync();
        using var raw = db.Raw();
        using var command = raw.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteQueue.Internal.Storage.SqlText.Render(SqliteQueue.Internal.Storage.Monitoring.MonitoringSql.DeadSince, "queue_").TrimEnd(';', '\n', ' ');
        command.Parameters.AddWithValue("@since", 0);
        using var reader = command.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        // The last hour's dead jobs only, from the index alone: no row is read, whatever the number of dead jobs kept.
        plan.Should().ContainSingle().Which.Should().Be("SEARCH queue_jobs USING COVERING INDEX queue_jobs_dead_finished (finished_at>?)");
    }

    [Fact]
    public async Task Fewer_live_workers_than_expected_is_degraded_never_unhealthy()
    {
        await using var db = await HealthyAsync(registerWorker: false);

        var report = await db.Queue.Monitor.CheckHealthAsync();

        report.Status.Should().Be(QueueHealthStatus.Degraded);
        report.Problems.Should().ContainSingle().Which.Should().Be(new QueueHealthProblem(QueueHealthFigures.LiveWorkers, QueueHealthStatus.Degraded,
            "Live workers on the file: 0, fewer than the 1 expected (MinLiveWorkers); jobs wait until one runs."));
        (await db.Queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MinLiveWorkers = null })).Status.Should().Be(QueueHealthStatus.Healthy);
    }

    [Fact]
    public async Task A_wal_over_the_limit_is_degraded()
    {
        await using var db = await HealthyAsync();
        var wal = new FileInfo(db.Path + "-wal").Length;
        wal.Should().BeGreaterThan(0);

        (await db.Queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MaxWalSize = wal })).Status.Should().Be(QueueHealthStatus.Healthy);
        var report = await db.Queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MaxWalSize = wal - 1 });

        report.Status.Should().Be(QueueHealthStatus.Degraded);
        report.Problems.Should().ContainSingle().Which.Description.Should().Be(
            $"The WAL is {wal} bytes, over the {wal - 1} allowed (MaxWalSize): checkpoints are not keeping up, most often because a reader holds an old snapshot open.");
    }

    [Fact]
    public async Task No_integrity_check_or_an_old_one_is_degraded_and_a_failed_one_is_unhealthy()
    {
        await using var db = await HealthyAsync(checkIntegrity: false);

        var never = await db.Queue.Monitor.CheckHealthAsync();
        never.Status.Should().Be(QueueHealthStatus.Degraded);
        never.Problems.Should().ContainSingle().Which.Figure.Should().Be(QueueHealthFigures.IntegrityCheck);
        never.Data[QueueHealthFigures.IntegrityCheck].Should().Be("never");
        never.Data.Should().NotContainKey(QueueHealthFigures.IntegrityCheckAge);

        await db.Queue.Maintenance.CheckIntegrityAsync();
        db.Time.Advance(TimeSpan.FromDays(2));
        await KeepAliveAsync(db);
        (await db.Queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MaxMaintenanceAge = null })).Status.Should().Be(QueueHealthStatus.Healthy, "2 days is the limit");
        db.Time.Advance(TimeSpan.FromSeconds(1));
        await KeepAliveAsync(db);
        var old = await db.Queue.Monitor.CheckHealthAsync();
        old.Problems.Should().ContainSingle().Which.Should().Be(new QueueHealthProblem(QueueHealthFigures.IntegrityCheckAge, QueueHealthStatus.Degraded,
            "The last integrity check ran 2.00:00:01 ago, longer than the 2.00:00:00 allowed (MaxIntegrityCheckAge)."));
        old.Data[QueueHealthFigures.IntegrityCheckAge].Should().Be(172_801.0);

        await MaintenanceRuns.RecordAsync(db.Queue.SqliteStore, MaintenanceRuns.Integrity, db.Time.GetUtcNow(), false, "Quick: 1 problems, first: page 7 is never used", "test", default);
        var failed = await db.Queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MaxIntegrityCheckAge = null });
        failed.Status.Should().Be(QueueHealthStatus.Unhealthy, "a failed check is unhealthy whatever the age limit");
        failed.Data[QueueHealthFigures.IntegrityCheck].Should().Be("failed");
        failed.Problems.Should().ContainSingle().Which.Description.Should().Be(
            "The last integrity check, 00:00:00 ago, failed: Quick: 1 problems, first: page 7 is never used. Restore a backup (see docs/operations.md).");
    }

    [Fact]
    public async Task A_broken_recurring_schedule_is_degraded_and_named()
    {
        await using var db = await HealthyAsync();
        await db.Queue.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "t", "0 3 * * *"));
        await db.Queue.Recurring.UpsertAsync(new RecurringJobDefinition("hourly", "t", "0 * * * *"));
        using (var raw = db.Raw())
        {
            using var command = raw.CreateCommand();
            command.CommandText = "UPDATE queue_recurring SET state = 'broken', next_run_at = NULL WHERE name = 'nightly'";
            command.ExecuteNonQuery();
        }

        var report = await db.Queue.Monitor.CheckHealthAsync();

        report.Status.Should().Be(QueueHealthStatus.Degraded);
        report.Problems.Should().ContainSingle().Which.Description.Should().Be(
            "Broken recurring schedules, which do not fire until fixed: 1 (nightly), more than the 0 allowed (MaxBrokenRecurringJobs).");
        report.Data[QueueHealthFigures.BrokenRecurringJobs].Should().Be(1L);
        report.Data[QueueHealthFigures.BrokenRecurringNames].Should().Be("nightly");
        (await db.Queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MaxBrokenRecurringJobs = 1 })).Status.Should().Be(QueueHealthStatus.Healthy);
    }

    [Fact]
    public async Task Maintenance_not_run_for_too_long_is_degraded_when_asked_for()
    {
        await using var db = await HealthyAsync(prune: false);
        var options = new QueueHealthOptions { MaxMaintenanceAge = TimeSpan.FromMinutes(10) };

        (await db.Queue.Monitor.CheckHealthAsync()).Status.Should().Be(QueueHealthStatus.Healthy, "the rule is off by default");
        (await db.Queue.Monitor.CheckHealthAsync(options)).Problems.Should().ContainSingle().Which.Description.Should().Be(
            "No maintenance run is recorded in the file: no process runs maintenance (MaxMaintenanceAge).");

        await db.Queue.Maintenance.PruneAsync();
        (await db.Queue.Monitor.CheckHealthAsync(options)).Status.Should().Be(QueueHealthStatus.Healthy);
        db.Time.Advance(TimeSpan.FromMinutes(11));
        await KeepAliveAsync(db);
        (await db.Queue.Monitor.CheckHealthAsync(options)).Problems.Should().ContainSingle().Which.Description.Should().StartWith(
            "Maintenance last ran 00:11:00 ago, longer than the 00:10:00 allowed (MaxMaintenanceAge)");
    }

    [Fact]
    public async Task A_file_not_yet_migrated_is_unhealthy_and_the_check_leaves_it_as_it_was()
    {
        await using var db = new TestDatabase();
        using (var raw = db.Raw())
        {
            // An empty file, as the store would find it before its first use.
            using var command = raw.CreateCommand();
            command.CommandText = "CREATE TABLE app_table (x INTEGER)";
            command.ExecuteNonQuery();
        }

        var report = await db.Queue.Monitor.CheckHealthAsync();

        report.Status.Should().Be(QueueHealthStatus.Unhealthy);
        report.Problems.Should().ContainSingle().Which.Description.Should().Be(
            $"The queue tables are at schema version 0, and this library needs {SqliteQueue.Internal.Storage.Migrator.LatestVersion}: the file has not been opened by this version yet (it migrates on first use).");
        report.Data[QueueHealthFigures.SchemaVersion].Should().Be(0L);
        report.Data[QueueHealthFigures.StoreReachable].Should().Be(true);
        using var check = db.Raw();
        using var tables = check.CreateCommand();
        tables.CommandText = "SELECT COUNT(*) FROM sqlite_schema WHERE name LIKE 'queue_%'";
        ((long)tables.ExecuteScalar()!).Should().Be(0, "the check never migrates the file");
    }

    [Fact]
    public async Task A_file_from_a_newer_version_is_unhealthy()
    {
        await using var db = await HealthyAsync();
        using (var raw = db.Raw())
        {
            using var command = raw.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            command.ExecuteNonQuery();
        }

        var report = await db.Queue.Monitor.CheckHealthAsync();

        report.Status.Should().Be(QueueHealthStatus.Unhealthy);
        report.Data[QueueHealthFigures.SchemaVersion].Should().Be(99L);
        report.Problems.Should().ContainSingle().Which.Description.Should().Be(
            $"The file's schema version 99 is newer than this library's {SqliteQueue.Internal.Storage.Migrator.LatestVersion}: a newer version of SqliteQueue wrote it; upgrade this application.");
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_is_reported_unhealthy_with_its_exception_not_thrown()
    {
        await using var db = new TestDatabase();
        await File.WriteAllTextAsync(db.Path, "this is not a database, and it is long enough to have a header");

        var report = await db.Queue.Monitor.CheckHealthAsync();

        report.Status.Should().Be(QueueHealthStatus.Unhealthy);
        report.Exception.Should().NotBeNull();
        report.Data[QueueHealthFigures.StoreReachable].Should().Be(false);
        report.Data[QueueHealthFigures.StoreError].Should().Be(report.Exception!.Message);
        report.Problems.Should().ContainSingle().Which.Description.Should().Be("The queue store could not be read: " + report.Exception.Message);
    }

    [Fact]
    public async Task An_in_memory_queue_reports_its_figures_too()
    {
        var time = new ManualTimeProvider();
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source=health-{Guid.NewGuid():N};Mode=Memory;Cache=Shared" }, time);
        await queue.Client.EnqueueAsync("t", "{}");

        var report = await queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MinLiveWorkers = null, MaxIntegrityCheckAge = null });

        report.Status.Should().Be(QueueHealthStatus.Healthy);
        report.Data[QueueHealthFigures.RunnableJobs].Should().Be(1L);
        report.Data[QueueHealthFigures.FileBytes].Should().Be(0L);
        report.Data[QueueHealthFigures.WalBytes].Should().Be(0L);
    }

    [Theory]
    [InlineData(nameof(QueueHealthOptions.MaxOldestRunnableAge), "QueueHealthOptions.MaxOldestRunnableAge must be from 00:00:01 to 3650.00:00:00, or null to turn the rule off; got 00:00:00.5000000.")]
    [InlineData(nameof(QueueHealthOptions.MaxDeadPerHour), "QueueHealthOptions.MaxDeadPerHour must be from 0 to 1000000000, or null to turn the rule off; got -1.")]
    [InlineData(nameof(QueueHealthOptions.MinLiveWorkers), "QueueHealthOptions.MinLiveWorkers must be from 1 to 1000000, or null to turn the rule off; got 0.")]
    [InlineData(nameof(QueueHealthOptions.MaxWalSize), "QueueHealthOptions.MaxWalSize must be from 1 to 1099511627776, or null to turn the rule off; got 0.")]
    [InlineData(nameof(QueueHealthOptions.MaxIntegrityCheckAge), "QueueHealthOptions.MaxIntegrityCheckAge must be from 00:01:00 to 3650.00:00:00, or null to turn the rule off; got 00:00:00.5000000.")]
    [InlineData(nameof(QueueHealthOptions.MaxBrokenRecurringJobs), "QueueHealthOptions.MaxBrokenRecurringJobs must be from 0 to 1000000, or null to turn the rule off; got -1.")]
    [InlineData(nameof(QueueHealthOptions.MaxMaintenanceAge), "QueueHealthOptions.MaxMaintenanceAge must be from 00:00:01 to 3650.00:00:00, or null to turn the rule off; got 00:00:00.5000000.")]
    public async Task An_option_out_of_range_is_refused_with_its_name_and_value(string option, string message)
    {
        await using var db = new TestDatabase();
        var options = new QueueHealthOptions();
        var half = TimeSpan.FromMilliseconds(500);
        switch (option)
        {
            case nameof(QueueHealthOptions.MaxOldestRunnableAge): options.MaxOldestRunnableAge = half; break;
            case nameof(QueueHealthOptions.MaxDeadPerHour): options.MaxDeadPerHour = -1; break;
            case nameof(QueueHealthOptions.MinLiveWorkers): options.MinLiveWorkers = 0; break;
            case nameof(QueueHealthOptions.MaxWalSize): options.MaxWalSize = 0; break;
            case nameof(QueueHealthOptions.MaxIntegrityCheckAge): options.MaxIntegrityCheckAge = half; break;
            case nameof(QueueHealthOptions.MaxBrokenRecurringJobs): options.MaxBrokenRecurringJobs = -1; break;
            case nameof(QueueHealthOptions.MaxMaintenanceAge): options.MaxMaintenanceAge = half; break;
        }

        var act = () => db.Queue.Monitor.CheckHealthAsync(options);

        var thrown = (await act.Should().ThrowAsync<ArgumentOutOfRangeException>()).Which;
        thrown.ParamName.Should().Be("QueueHealthOptions." + option);
        thrown.Message.Should().StartWith(message);
    }

    [Fact]
    public void The_worker_heartbeat_interval_is_validated()
    {
        var act = () => new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = "Data Source=x.db", WorkerHeartbeatInterval = TimeSpan.FromMilliseconds(50) });

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage(
            "SqliteQueueOptions.WorkerHeartbeatInterval must be from 00:00:00.1000000 to 01:00:00; got 00:00:00.0500000.");
    }

    /// <summary>
    /// A file every rule passes: one registered worker, an integrity check and a prune just recorded. Each test then
    /// breaks one thing.
    /// </summary>
    private static async Task<TestDatabase> HealthyAsync(bool registerWorker = true, bool checkIntegrity = true, bool prune = true)
    {
        var db = new TestDatabase();
        await db.Queue.InitializeAsync();
        if (registerWorker)
        {
            await KeepAliveAsync(db);
        }

        if (checkIntegrity)
        {
            await db.Queue.Maintenance.CheckIntegrityAsync();
        }

        if (prune)
        {
            await db.Queue.Maintenance.PruneAsync();
        }

        return db;
    }

    /// <summary>A worker's beat, written as its registration does: keeps the live-worker rule passing while a test moves the clock.</summary>
    private static Task KeepAliveAsync(TestDatabase db) =>
        new WorkerRegistration(db.Queue.SqliteStore, "health-test", ["default"], 1, NullLogger.Instance).RegisterAsync(default);
}
