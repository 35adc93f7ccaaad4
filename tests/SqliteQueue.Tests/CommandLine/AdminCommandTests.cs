using System.Security.Cryptography;
using System.Text.Json;
using SqliteQueue.CommandLine;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Maintenance;
using SqliteQueue.Recurring;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.CommandLine;

/// <summary>
/// The admin commands (<c>recurring</c>, <c>cron</c>, <c>db</c>, <c>workers</c>, <c>health</c>) run as the real tool
/// against a real file, which the test prepares through the library and closes before the tool opens it.
/// </summary>
public sealed class AdminCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sqlitequeue-cli-tests", Guid.NewGuid().ToString("N"));

    public AdminCommandTests()
    {
        Directory.CreateDirectory(_directory);
        DbPath = Path.Combine(_directory, "jobs.db");
    }

    private string DbPath { get; }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is left for the OS to clean: it must not fail the test.
        }
    }

    [Fact]
    public async Task Recurring_list_prints_every_schedule_with_its_state_and_schedule()
    {
        await PrepareAsync(async q =>
        {
            await q.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "report.build", "0 3 * * *") { TimeZone = "Europe/Berlin" });
            await q.Recurring.UpsertAsync(new RecurringJobDefinition("poll", "feed.poll", "every 15 minutes"));
        });

        var json = await RunOkAsync("recurring", "list", "--db", DbPath, "--json");
        var list = json.RootElement.GetProperty("recurring").EnumerateArray().ToList();
        list.Select(r => r.GetProperty("name").GetString()).Should().Equal("nightly", "poll");
        list[0].GetProperty("state").GetString().Should().Be("active");
        list[0].GetProperty("schedule").GetString().Should().Be("0 3 * * *");
        list[0].GetProperty("timeZone").GetString().Should().Be("Europe/Berlin");
        list[0].GetProperty("firedCount").GetInt64().Should().Be(0);
        list[0].GetProperty("nextRunAt").ValueKind.Should().Be(JsonValueKind.String);

        var text = await ToolProcess.RunAsync("recurring", "list", "--db", DbPath);
        text.ExitCode.Should().Be(0, text.ToString());
        text.Out.Should().Contain("NAME").And.Contain("nightly").And.Contain("every 15 minutes").And.Contain("Europe/Berlin");
    }

    [Fact]
    public async Task Recurring_list_says_so_when_there_are_no_schedules()
    {
        await PrepareAsync(_ => Task.CompletedTask);

        var run = await ToolProcess.RunAsync("recurring", "list", "--db", DbPath);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Out.Trim().Should().Be("No recurring schedules.");
    }

    [Fact]
    public async Task Recurring_show_gives_the_definition_and_the_next_five_occurrences()
    {
        await PrepareAsync(q => q.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "report.build", "0 3 * * *")
        {
            TimeZone = "Europe/Berlin",
            Queue = "reports",
            Priority = 2,
            Overlap = Overlap.QueueOne,
            PayloadJson = """{"kind":"daily"}""",
        }));

        var json = await RunOkAsync("recurring", "show", "nightly", "--db", DbPath, "--json");
        var root = json.RootElement;
        var definition = root.GetProperty("recurring").GetProperty("definition");
        definition.GetProperty("jobType").GetString().Should().Be("report.build");
        definition.GetProperty("queue").GetString().Should().Be("reports");
        definition.GetProperty("priority").GetInt32().Should().Be(2);
        definition.GetProperty("overlap").GetString().Should().Be("queueOne");
        definition.GetProperty("payloadJson").GetString().Should().Be("""{"kind":"daily"}""");
        root.GetProperty("description").GetString().Should().Be("At 03:00, every day (Europe/Berlin)");
        var next = root.GetProperty("nextOccurrences").EnumerateArray().Select(e => e.GetDateTimeOffset()).ToList();
        next.Should().HaveCount(5).And.BeInAscendingOrder();
        next.Should().OnlyContain(t => t.ToOffset(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin").GetUtcOffset(t)).Hour == 3);

        var text = await ToolProcess.RunAsync("recurring", "show", "nightly", "--db", DbPath);
        text.ExitCode.Should().Be(0, text.ToString());
        text.Out.Should().Contain("Job type:").And.Contain("report.build").And.Contain("Overlap:").And.Contain("queue-one").And.Contain("Next 5 occurrences:");
    }

    [Fact]
    public async Task Recurring_pause_and_resume_change_the_state_in_the_file()
    {
        await PrepareAsync(q => q.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "report.build", "0 3 * * *")));

        var paused = await RunOkAsync("recurring", "pause", "nightly", "--db", DbPath, "--json");
        paused.RootElement.GetProperty("state").GetString().Should().Be("paused");
        (await ReadAsync(q => q.Recurring.GetAsync("nightly")))!.State.Should().Be(RecurringJobState.Paused);

        var resumed = await RunOkAsync("recurring", "resume", "nightly", "--from", "last-occurrence", "--db", DbPath, "--json");
        resumed.RootElement.GetProperty("state").GetString().Should().Be("active");
        (await ReadAsync(q => q.Recurring.GetAsync("nightly")))!.State.Should().Be(RecurringJobState.Active);
    }

    [Fact]
    public async Task Recurring_resume_rejects_an_unknown_from_with_exit_2()
    {
        await PrepareAsync(q => q.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "report.build", "0 3 * * *")));

        var run = await ToolProcess.RunAsync("recurring", "resume", "nightly", "--from", "yesterday", "--db", DbPath);

        run.ExitCode.Should().Be(SqliteQueueExitCodes.Usage, run.ToString());
        run.Error.Should().Contain("--from must be now or last-occurrence, not 'yesterday'.");
    }

    [Fact]
    public async Task Recurring_trigger_prints_the_job_id_and_exits_1_when_the_overlap_policy_holds_it_back()
    {
        await PrepareAsync(q => q.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "report.build", "0 3 * * *") { Overlap = Overlap.Skip }));

        var first = await RunOkAsync("recurring", "trigger", "nightly", "--db", DbPath, "--json");
        var jobId = first.RootElement.GetProperty("jobId").GetInt64();
        (await ReadAsync(q => q.Client.GetJobAsync(jobId))).Should().NotBeNull();

        // The first job is still pending, so the Skip policy holds the second back.
        var held = await ToolProcess.RunAsync("recurring", "trigger", "nightly", "--db", DbPath);
        held.ExitCode.Should().Be(SqliteQueueExitCodes.Error, held.ToString());
        held.Error.Should().Contain("overlap policy (skip) held the job back").And.Contain("--ignore-overlap");

        var forced = await ToolProcess.RunAsync("recurring", "trigger", "nightly", "--ignore-overlap", "--db", DbPath);
        forced.ExitCode.Should().Be(0, forced.ToString());
        forced.Out.Should().MatchRegex(@"^Triggered 'nightly': job \d+\.");
    }

    [Fact]
    public async Task Recurring_history_lists_what_the_schedule_did()
    {
        await PrepareAsync(async q =>
        {
            await q.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "report.build", "0 3 * * *"));
            await q.Recurring.TriggerAsync("nightly");
        });

        var json = await RunOkAsync("recurring", "history", "nightly", "--limit", "10", "--db", DbPath, "--json");

        var entries = json.RootElement.GetProperty("history").EnumerateArray().ToList();
        entries.Should().ContainSingle();
        entries[0].GetProperty("outcome").GetString().Should().Be("triggered");
        entries[0].GetProperty("jobId").GetInt64().Should().BePositive();
    }

    [Theory]
    [InlineData("show")]
    [InlineData("pause")]
    [InlineData("resume")]
    [InlineData("trigger")]
    [InlineData("history")]
    public async Task Recurring_commands_exit_1_naming_an_unknown_schedule(string command)
    {
        await PrepareAsync(_ => Task.CompletedTask);

        var run = await ToolProcess.RunAsync("recurring", command, "missing", "--db", DbPath);

        run.ExitCode.Should().Be(SqliteQueueExitCodes.Error, run.ToString());
        run.Error.Trim().Should().Be("error: No recurring schedule is named 'missing'. `recurring list` shows the names.");
    }

    [Fact]
    public async Task Cron_explain_describes_the_schedule_and_lists_occurrences_in_utc_and_in_the_zone_without_a_queue_file()
    {
        // Across the spring-forward change in Berlin (2030-03-31): the UTC hour moves, the local one does not.
        var run = await ToolProcess.RunAsync("cron", "explain", "0 9 * * 1-5", "--tz", "Europe/Berlin", "--from", "2030-03-29T00:00Z");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Out.ReplaceLineEndings("\n").Should().Be("""
            At 09:00, on weekdays (Europe/Berlin)

            Next 5 after 2030-03-29 00:00:00Z:
            #  UTC                   Europe/Berlin
            -  --------------------  ------------------------------
            1  2030-03-29 08:00:00Z  Fri 2030-03-29 09:00:00 +01:00
            2  2030-04-01 07:00:00Z  Mon 2030-04-01 09:00:00 +02:00
            3  2030-04-02 07:00:00Z  Tue 2030-04-02 09:00:00 +02:00
            4  2030-04-03 07:00:00Z  Wed 2030-04-03 09:00:00 +02:00
            5  2030-04-04 07:00:00Z  Thu 2030-04-04 09:00:00 +02:00

            """);
    }

    [Fact]
    public async Task Cron_explain_prints_the_warning_and_the_requested_count_as_json()
    {
        var run = await ToolProcess.RunAsync("cron", "explain", "* 3 * * *", "--count", "3", "--from", "2030-01-01T00:00Z", "--json");

        run.ExitCode.Should().Be(0, run.ToString());
        using var json = run.Json();
        json.RootElement.GetProperty("warning").GetString().Should().Contain("'0 3 * * *'");
        json.RootElement.GetProperty("occurrences").EnumerateArray().Select(o => o.GetProperty("utc").GetString())
            .Should().Equal("2030-01-01T03:00:00Z", "2030-01-01T03:01:00Z", "2030-01-01T03:02:00Z");
    }

    [Theory]
    [InlineData("not a schedule", "UTC", "5", "is not a valid")]
    [InlineData("0 9 * * *", "Mars/Olympus", "5", "The time zone 'Mars/Olympus' is not known")]
    [InlineData("0 9 * * *", "UTC", "101", "--count must be from 1 to 100, not 101.")]
    public async Task Cron_explain_exits_2_for_a_bad_expression_zone_or_count(string expression, string zone, string count, string message)
    {
        var run = await ToolProcess.RunAsync("cron", "explain", expression, "--tz", zone, "--count", count);

        run.ExitCode.Should().Be(SqliteQueueExitCodes.Usage, run.ToString());
        run.Error.Should().Contain(message);
    }

    [Fact]
    public async Task Db_info_reports_the_file_its_pages_and_the_last_maintenance_runs()
    {
        await PrepareAsync(q => q.Maintenance.CheckIntegrityAsync());

        var json = await RunOkAsync("db", "info", "--db", DbPath, "--json");

        var root = json.RootElement;
        root.GetProperty("path").GetString().Should().Be(Path.GetFullPath(DbPath));
        root.GetProperty("fileBytes").GetInt64().Should().BePositive();
        root.GetProperty("pageSize").GetInt32().Should().BePositive();
        root.GetProperty("autoVacuum").GetString().Should().Be("incremental");
        root.GetProperty("lastRuns").EnumerateArray().Select(r => r.GetProperty("task").GetString()).Should().Contain("integrity");

        var text = await ToolProcess.RunAsync("db", "info", "--db", DbPath);
        text.ExitCode.Should().Be(0, text.ToString());
        text.Out.Should().Contain("Free pages:").And.Contain("Auto-vacuum:     incremental").And.Contain("integrity");
    }

    [Fact]
    public async Task Db_check_exits_0_on_a_sound_file()
    {
        await PrepareAsync(_ => Task.CompletedTask);

        var quick = await ToolProcess.RunAsync("db", "check", "--db", DbPath);
        quick.ExitCode.Should().Be(0, quick.ToString());
        quick.Out.Should().StartWith("ok: quick check of");

        var full = await RunOkAsync("db", "check", "--full", "--db", DbPath, "--json");
        full.RootElement.GetProperty("ok").GetBoolean().Should().BeTrue();
        full.RootElement.GetProperty("level").GetString().Should().Be("full");
        full.RootElement.GetProperty("problems").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public async Task Db_backup_writes_a_file_the_library_can_open()
    {
        await PrepareAsync(q => q.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "report.build", "0 3 * * *")));
        var backup = Path.Combine(_directory, "backups", "copy.db");

        var json = await RunOkAsync("db", "backup", backup, "--db", DbPath, "--json");

        json.RootElement.GetProperty("path").GetString().Should().Be(backup);
        json.RootElement.GetProperty("bytes").GetInt64().Should().Be(new FileInfo(backup).Length);
        await using var copy = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={backup}" });
        (await copy.Recurring.ListAsync()).Select(r => r.Name).Should().Equal("nightly");
    }

    [Fact]
    public async Task Db_checkpoint_runs_in_the_mode_given()
    {
        await PrepareAsync(_ => Task.CompletedTask);

        var json = await RunOkAsync("db", "checkpoint", "--mode", "truncate", "--db", DbPath, "--json");
        json.RootElement.GetProperty("mode").GetString().Should().Be("truncate");

        var bad = await ToolProcess.RunAsync("db", "checkpoint", "--mode", "sometimes", "--db", DbPath);
        bad.ExitCode.Should().Be(SqliteQueueExitCodes.Usage, bad.ToString());
    }

    [Fact]
    public async Task Db_vacuum_without_yes_is_refused_with_exit_4_and_leaves_the_file_unchanged()
    {
        await PrepareWithFreePagesAsync();
        var before = Hash(DbPath);

        var run = await ToolProcess.RunAsync("db", "vacuum", "--db", DbPath);

        run.ExitCode.Should().Be(SqliteQueueExitCodes.NotConfirmed, run.ToString());
        run.Error.Should().Contain("Refused: input is not a terminal. Pass --yes to confirm");
        Hash(DbPath).Should().Be(before);
    }

    [Fact]
    public async Task Db_vacuum_dry_run_reports_the_free_pages_and_changes_nothing_and_yes_releases_them()
    {
        var free = await PrepareWithFreePagesAsync();
        var before = Hash(DbPath);

        var dry = await RunOkAsync("db", "vacuum", "--dry-run", "--db", DbPath, "--json");
        dry.RootElement.GetProperty("freePages").GetInt64().Should().Be(free);
        dry.RootElement.GetProperty("fileBytes").GetInt64().Should().BePositive();
        Hash(DbPath).Should().Be(before);

        var done = await RunOkAsync("db", "vacuum", "--yes", "--db", DbPath, "--json");
        done.RootElement.GetProperty("freePagesBefore").GetInt64().Should().Be(free);
        done.RootElement.GetProperty("freePagesAfter").GetInt64().Should().Be(0);
    }

    [Fact]
    public async Task Db_vacuum_incremental_needs_no_confirmation_and_releases_at_most_max_pages()
    {
        var free = await PrepareWithFreePagesAsync();
        free.Should().BeGreaterThan(2);

        var json = await RunOkAsync("db", "vacuum", "--incremental", "--max-pages", "2", "--db", DbPath, "--json");

        json.RootElement.GetProperty("freePagesAfter").GetInt64().Should().Be(free - 2);

        var orphan = await ToolProcess.RunAsync("db", "vacuum", "--max-pages", "2", "--db", DbPath);
        orphan.ExitCode.Should().Be(SqliteQueueExitCodes.Usage, orphan.ToString());
        orphan.Error.Should().Contain("--max-pages 2 needs --incremental");
    }

    [Fact]
    public async Task Db_migrate_dry_run_on_a_new_path_creates_nothing()
    {
        var path = Path.Combine(_directory, "new.db");

        var json = await RunOkAsync("db", "migrate", "--dry-run", "--db", path, "--json");

        json.RootElement.GetProperty("exists").GetBoolean().Should().BeFalse();
        json.RootElement.GetProperty("schemaVersionExpected").GetInt64().Should().Be(Migrator.LatestVersion);
        Directory.GetFiles(_directory).Should().BeEmpty();
    }

    [Fact]
    public async Task Db_migrate_creates_a_new_file_that_other_commands_then_open()
    {
        var path = Path.Combine(_directory, "new.db");

        var json = await RunOkAsync("db", "migrate", "--db", path, "--json");

        json.RootElement.GetProperty("created").GetBoolean().Should().BeTrue();
        json.RootElement.GetProperty("schemaVersionAfter").GetInt64().Should().Be(Migrator.LatestVersion);
        (await ToolProcess.RunAsync("recurring", "list", "--db", path)).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Db_migrate_reports_the_schema_version_before_and_after_an_upgrade()
    {
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            Execute(connection, SqlText.Render(Migrator.Migrations.Single(m => m.Version == 1).Script, "queue_"));
            Execute(connection, "PRAGMA user_version = 1;");
        }

        var refused = await ToolProcess.RunAsync("recurring", "list", "--db", DbPath);
        refused.ExitCode.Should().Be(SqliteQueueExitCodes.Error, refused.ToString());
        refused.Error.Should().Contain("are at schema version 1").And.Contain("run `db migrate`");

        var dry = await RunOkAsync("db", "migrate", "--dry-run", "--db", DbPath, "--json");
        dry.RootElement.GetProperty("schemaVersion").GetInt64().Should().Be(1);
        dry.RootElement.GetProperty("wouldChange").GetBoolean().Should().BeTrue();

        var run = await ToolProcess.RunAsync("db", "migrate", "--db", DbPath);
        run.ExitCode.Should().Be(0, run.ToString());
        run.Out.Trim().Should().Be($"Migrated '{Path.GetFullPath(DbPath)}' from schema version 1 to {Migrator.LatestVersion}.");
        (await ToolProcess.RunAsync("recurring", "list", "--db", DbPath)).ExitCode.Should().Be(0);
    }

    [Fact]
    public async Task Workers_lists_none_when_no_hosted_worker_runs_on_the_file()
    {
        await PrepareAsync(_ => Task.CompletedTask);

        var json = await RunOkAsync("workers", "--db", DbPath, "--json");
        json.RootElement.GetProperty("workers").GetArrayLength().Should().Be(0);

        var text = await ToolProcess.RunAsync("workers", "--db", DbPath);
        text.ExitCode.Should().Be(0, text.ToString());
        text.Out.Should().StartWith("No live workers");
    }

    [Fact]
    public async Task Health_exits_3_with_min_live_workers_1_and_no_workers_and_prints_every_figure()
    {
        await PrepareAsync(_ => Task.CompletedTask);

        var run = await ToolProcess.RunAsync("health", "--min-live-workers", "1", "--db", DbPath, "--json");

        run.ExitCode.Should().Be(SqliteQueueExitCodes.ProblemsFound, run.ToString());
        using var json = run.Json();
        var root = json.RootElement;
        root.GetProperty("status").GetString().Should().Be("degraded");
        root.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("figure").GetString()).Should().Contain("workers.live");
        var data = root.GetProperty("data");
        data.GetProperty("workers.live").GetInt64().Should().Be(0);
        data.GetProperty("store.schema_version").GetInt64().Should().Be(Migrator.LatestVersion);
        data.GetProperty("store.reachable").GetBoolean().Should().BeTrue();

        var text = await ToolProcess.RunAsync("health", "--min-live-workers", "1", "--db", DbPath);
        text.ExitCode.Should().Be(SqliteQueueExitCodes.ProblemsFound, text.ToString());
        text.Out.Should().StartWith("Status: degraded").And.Contain("workers.live").And.Contain("storage.file_bytes");

        // A fresh file with no hosted worker and no integrity check yet is healthy once those two rules are skipped.
        var skipped = await ToolProcess.RunAsync("health", "--skip", "live-workers", "--skip", "integrity-check-age", "--db", DbPath);
        skipped.ExitCode.Should().Be(SqliteQueueExitCodes.Success, skipped.ToString());
        skipped.Out.Should().StartWith("Status: healthy");
        (await ToolProcess.RunAsync("health", "--skip", "everything", "--db", DbPath)).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
    }

    [Fact]
    public async Task Health_exits_2_naming_the_flag_when_a_threshold_is_out_of_range()
    {
        await PrepareAsync(_ => Task.CompletedTask);

        var run = await ToolProcess.RunAsync("health", "--min-live-workers", "0", "--db", DbPath);

        run.ExitCode.Should().Be(SqliteQueueExitCodes.Usage, run.ToString());
        run.Error.Should().StartWith("error: --min-live-workers 0 is out of range:");
    }

    [Theory]
    [InlineData("db", "info")]
    [InlineData("workers")]
    [InlineData("health")]
    [InlineData("recurring", "list")]
    public async Task Commands_other_than_migrate_exit_1_for_a_missing_file_and_do_not_create_it(params string[] command)
    {
        var path = Path.Combine(_directory, "missing.db");

        var run = await ToolProcess.RunAsync([.. command, "--db", path]);

        run.ExitCode.Should().Be(SqliteQueueExitCodes.Error, run.ToString());
        run.Error.Should().Contain($"There is no queue file at '{path}'");
        File.Exists(path).Should().BeFalse();
    }

    private async Task PrepareAsync(Func<SqliteJobQueue, Task> prepare)
    {
        await using var queue = Open();
        await queue.InitializeAsync();
        await prepare(queue);
    }

    /// <summary>A file with free pages: jobs enqueued and deleted, which incremental auto-vacuum leaves as free pages until a vacuum.</summary>
    private async Task<long> PrepareWithFreePagesAsync()
    {
        long free = 0;
        await PrepareAsync(async q =>
        {
            await q.Client.EnqueueManyAsync(Enumerable.Range(0, 2000).Select(i => new NewJob("bulk", $$"""{"n":{{i}},"pad":"{{new string('x', 200)}}"}""")));
            await q.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Pending));
            await q.Maintenance.CheckpointAsync(CheckpointMode.Truncate);
            free = (await q.Maintenance.GetStorageInfoAsync()).FreePages;
        });
        free.Should().BePositive();
        return free;
    }

    private async Task<T> ReadAsync<T>(Func<SqliteJobQueue, Task<T>> read)
    {
        await using var queue = Open();
        return await read(queue);
    }

    private SqliteJobQueue Open() => new(new SqliteQueueOptions { ConnectionString = $"Data Source={DbPath}" });

    private static async Task<JsonDocument> RunOkAsync(params string[] args)
    {
        var run = await ToolProcess.RunAsync(args);
        run.ExitCode.Should().Be(0, run.ToString());
        return run.Json();
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
