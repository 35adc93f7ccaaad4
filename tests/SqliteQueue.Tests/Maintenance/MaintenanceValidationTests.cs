using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

/// <summary>Every bad argument is refused before anything is written, naming the parameter or option.</summary>
public sealed class MaintenanceValidationTests
{
    public static TheoryData<string, Func<IQueueMaintenance, Task>, string> BadCalls => new()
    {
        { "a zero id", m => m.DeleteJobsAsync([1, 0]), "jobIds" },
        { "a negative id", m => m.DeleteJobsAsync([-5]), "jobIds" },
        { "null ids", m => m.DeleteJobsAsync((IEnumerable<long>)null!), "jobIds" },
        { "a null delete filter", m => m.DeleteJobsAsync((JobFilter)null!), "filter" },
        { "an undefined delete state", m => m.DeleteJobsAsync(new JobFilter((JobState)42)), "filter.State" },
        { "running jobs to delete", m => m.DeleteJobsAsync(new JobFilter(JobState.Running)), "filter.State" },
        { "an empty delete queue", m => m.DeleteJobsAsync(new JobFilter(JobState.Completed) { Queue = "" }), "filter.Queue" },
        { "a blank delete queue", m => m.DeleteJobsAsync(new JobFilter(JobState.Completed) { Queue = "  " }), "filter.Queue" },
        { "a delete queue with a control character", m => m.DeleteJobsAsync(new JobFilter(JobState.Completed) { Queue = "a\nb" }), "filter.Queue" },
        { "a delete queue too long", m => m.DeleteJobsAsync(new JobFilter(JobState.Completed) { Queue = new string('q', 201) }), "filter.Queue" },
        { "a blank delete type", m => m.DeleteJobsAsync(new JobFilter(JobState.Completed) { Type = " " }), "filter.Type" },
        { "a null retry filter", m => m.RetryJobsAsync(null!), "filter" },
        { "pending jobs to retry", m => m.RetryJobsAsync(new JobFilter(JobState.Pending)), "filter.State" },
        { "completed jobs to retry", m => m.RetryJobsAsync(new JobFilter(JobState.Completed)), "filter.State" },
        { "an undefined retry state", m => m.RetryJobsAsync(new JobFilter((JobState)(-1))), "filter.State" },
        { "an empty retry queue", m => m.RetryJobsAsync(new JobFilter(JobState.Dead) { Queue = "" }), "filter.Queue" },
        { "a retry type with a lone surrogate", m => m.RetryJobsAsync(new JobFilter(JobState.Dead) { Type = "a\uD800" }), "filter.Type" },
        { "a null purge queue", m => m.PurgeQueueAsync(null!), "queue" },
        { "an empty purge queue", m => m.PurgeQueueAsync(""), "queue" },
        { "a blank purge queue", m => m.PurgeQueueAsync("\t "), "queue" },
        { "an undefined checkpoint mode", m => m.CheckpointAsync((CheckpointMode)4), "mode" },
        { "a negative busy timeout", m => m.CheckpointAsync(CheckpointMode.Full, TimeSpan.FromMilliseconds(-1)), "busyTimeout" },
        { "a busy timeout over a minute", m => m.CheckpointAsync(CheckpointMode.Full, TimeSpan.FromMinutes(1) + TimeSpan.FromTicks(1)), "busyTimeout" },
        { "zero pages", m => m.IncrementalVacuumAsync(0), "maxPages" },
        { "negative pages", m => m.IncrementalVacuumAsync(-1), "maxPages" },
        { "too many pages", m => m.IncrementalVacuumAsync(1_000_001), "maxPages" },
        { "an undefined integrity level", m => m.CheckIntegrityAsync((IntegrityLevel)2), "level" },
        { "a negative completed retention", m => m.PruneAsync(new RetentionOptions { Completed = TimeSpan.FromSeconds(-1) }), "retention.Completed" },
        { "a negative cancelled retention", m => m.PruneAsync(new RetentionOptions { Cancelled = TimeSpan.FromTicks(-1) }), "retention.Cancelled" },
        { "a negative dead retention", m => m.PruneAsync(new RetentionOptions { Dead = TimeSpan.MinValue }), "retention.Dead" },
        { "a retention over ten years", m => m.PruneAsync(new RetentionOptions { Dead = TimeSpan.FromDays(3651) }), "retention.Dead" },
        { "a null backup path", m => m.BackupAsync(null!), "destinationPath" },
    };

    [Theory]
    [MemberData(nameof(BadCalls))]
    public async Task A_bad_argument_is_refused_naming_it_and_nothing_is_changed(string what, Func<IQueueMaintenance, Task> call, string parameter)
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);

        var thrown = (await FluentActions.Awaiting(() => call(db.Queue.Maintenance)).Should().ThrowAsync<ArgumentException>(what)).Which;

        thrown.ParamName.Should().Be(parameter, what);
        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);
        (await db.Queue.Maintenance.GetStorageInfoAsync()).LastRuns.Should().BeEmpty(what);
    }

    [Fact]
    public async Task More_than_a_million_ids_are_refused_before_any_is_deleted()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("t", 1);

        (await FluentActions.Awaiting(() => db.Queue.Maintenance.DeleteJobsAsync(Enumerable.Repeat(id, 1_000_001))).Should().ThrowAsync<ArgumentOutOfRangeException>())
            .Which.ParamName.Should().Be("jobIds");
        (await db.Client.GetJobAsync(id)).Should().NotBeNull();
    }

    [Fact]
    public async Task The_limits_themselves_are_accepted()
    {
        await using var db = new TestDatabase();

        await db.Queue.Maintenance.IncrementalVacuumAsync(1);
        await db.Queue.Maintenance.IncrementalVacuumAsync(1_000_000);
        await db.Queue.Maintenance.CheckpointAsync(CheckpointMode.Passive, TimeSpan.Zero);
        await db.Queue.Maintenance.CheckpointAsync(CheckpointMode.Passive, TimeSpan.FromMinutes(1));
        var pruned = await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero, Cancelled = TimeSpan.FromDays(3650), Dead = null });
        pruned.Total.Should().Be(0);
    }

    public static TheoryData<string, Action<MaintenanceOptions>> BadOptions => new()
    {
        { "PruneInterval", o => o.PruneInterval = TimeSpan.FromMilliseconds(999) },
        { "PruneInterval", o => o.PruneInterval = TimeSpan.FromDays(1) + TimeSpan.FromTicks(1) },
        { "CheckpointInterval", o => o.CheckpointInterval = TimeSpan.FromMilliseconds(99) },
        { "CheckpointInterval", o => o.CheckpointInterval = TimeSpan.FromHours(2) },
        { "LeaseDuration", o => o.LeaseDuration = TimeSpan.FromSeconds(4) },
        { "LeaseDuration", o => o.LeaseDuration = TimeSpan.FromHours(1) + TimeSpan.FromTicks(1) },
        { "IntegrityCheckInterval", o => o.IntegrityCheckInterval = TimeSpan.FromSeconds(59) },
        { "IntegrityCheckInterval", o => o.IntegrityCheckInterval = TimeSpan.FromDays(366) },
        { "BackupInterval", o => { o.BackupInterval = TimeSpan.FromSeconds(30); o.BackupDirectory = "backups"; } },
        { "BackupDirectory", o => o.BackupInterval = TimeSpan.FromHours(1) },
        { "BackupDirectory", o => { o.BackupInterval = TimeSpan.FromHours(1); o.BackupDirectory = "  "; } },
        { "BackupDirectory", o => o.BackupDirectory = "bad\0dir" },
        { "WalSizeLimitBytes", o => o.WalSizeLimitBytes = (1L << 20) - 1 },
        { "WalSizeLimitBytes", o => o.WalSizeLimitBytes = (16L << 30) + 1 },
        { "BackupsToKeep", o => o.BackupsToKeep = 0 },
        { "BackupsToKeep", o => o.BackupsToKeep = 10_001 },
        { "Retention", o => o.Retention = null! },
        { "Retention.Completed", o => o.Retention.Completed = TimeSpan.FromSeconds(-1) },
        { "Retention.Dead", o => o.Retention.Dead = TimeSpan.FromDays(3651) },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task RunMaintenanceAsync_refuses_a_bad_option_naming_it(string option, Action<MaintenanceOptions> spoil)
    {
        await using var db = new TestDatabase();
        var options = new MaintenanceOptions();
        spoil(options);

        var thrown = FluentActions.Invoking(() => { _ = db.Queue.RunMaintenanceAsync(options, CancellationToken.None); }).Should().Throw<OptionsValidationException>().Which;

        thrown.OptionsType.Should().Be<MaintenanceOptions>();
        thrown.Failures.Should().ContainSingle().Which.Should().Contain("MaintenanceOptions." + option);
        using var check = db.Raw();
        Long(check, "SELECT COUNT(*) FROM sqlite_schema;").Should().Be(0, "a refused schedule never opens the file");
    }

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void ConfigureMaintenance_refuses_a_bad_option_naming_it(string option, Action<MaintenanceOptions> spoil)
    {
        var services = new ServiceCollection();
        var builder = services.AddSqliteQueue(o => o.ConnectionString = "Data Source=never-opened.db");

        var thrown = FluentActions.Invoking(() => builder.ConfigureMaintenance(spoil)).Should().Throw<OptionsValidationException>().Which;

        thrown.Failures.Should().ContainSingle().Which.Should().Contain("MaintenanceOptions." + option);
    }

    [Fact]
    public void Every_failure_is_reported_at_once()
    {
        var options = new MaintenanceOptions { PruneInterval = TimeSpan.Zero, BackupsToKeep = 0, LeaseDuration = TimeSpan.Zero };

        var thrown = FluentActions.Invoking(() => MaintenanceOptionsValidator.ThrowIfInvalid(options)).Should().Throw<OptionsValidationException>().Which;

        thrown.Failures.Should().HaveCount(3);
    }

    [Fact]
    public void The_defaults_are_valid_and_documented_values()
    {
        var options = new MaintenanceOptions();

        options.Should().BeEquivalentTo(new
        {
            Enabled = true,
            PruneInterval = TimeSpan.FromMinutes(1),
            CheckpointInterval = TimeSpan.FromSeconds(10),
            WalSizeLimitBytes = 64L << 20,
            IntegrityCheckInterval = (TimeSpan?)TimeSpan.FromDays(1),
            BackupInterval = (TimeSpan?)null,
            BackupDirectory = (string?)null,
            BackupsToKeep = 7,
            LeaseDuration = TimeSpan.FromMinutes(1),
        });
        options.Retention.Should().BeEquivalentTo(new { Completed = TimeSpan.FromDays(1), Cancelled = TimeSpan.FromDays(7), Dead = TimeSpan.FromDays(14) });
        MaintenanceOptionsValidator.ThrowIfInvalid(options);
    }
}
