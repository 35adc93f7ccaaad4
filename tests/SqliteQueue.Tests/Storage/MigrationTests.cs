using SqliteQueue.Internal.Storage;
using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.Storage;

public sealed class MigrationTests
{
    [Fact]
    public async Task A_file_at_schema_1_is_brought_to_2_keeping_its_jobs_and_gains_recurring_jobs()
    {
        await using var db = new TestDatabase();
        using (var connection = db.Raw())
        {
            WriteVersion1(connection, "queue_");
            Execute(connection, "INSERT INTO queue_jobs (queue, type, payload, state, run_at, max_attempts, created_at) VALUES ('default', 't', '{}', 'pending', 0, 5, 0);");
        }

        (await db.Client.GetJobAsync(1))!.RecurringName.Should().BeNull();
        var worker = db.Worker();
        var claimed = await worker.ClaimAsync();
        claimed.Should().ContainSingle().Which.Recurring.Should().BeNull();
        await db.Queue.Recurring.UpsertAsync(new RecurringJobDefinition("r", "t", "@daily"));

        using var check = db.Raw();
        Scalar(check, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
        Scalar(check, "PRAGMA integrity_check;").Should().Be("ok");
        Scalar(check, "SELECT count(*) FROM queue_recurring;").Should().Be(1L);
    }

    [Fact]
    public async Task A_prefix_left_at_schema_1_is_migrated_even_after_another_prefix_raised_the_file_to_2()
    {
        await using var db = new TestDatabase();
        using (var connection = db.Raw())
        {
            WriteVersion1(connection, "old_");
        }

        // A new prefix brings the file's user_version to 2; the old prefix's tables are still at 1.
        await db.Queue.InitializeAsync();
        await using var old = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = db.ConnectionString, TablePrefix = "old_" }, db.Time);
        await old.Recurring.UpsertAsync(new RecurringJobDefinition("r", "t", "@daily"));

        using var check = db.Raw();
        Scalar(check, "SELECT count(*) FROM old_recurring;").Should().Be(1L);
        Scalar(check, "SELECT count(*) FROM pragma_table_info('old_jobs') WHERE name = 'recurring_name';").Should().Be(1L);
        Scalar(check, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
    }

    /// <summary>What a release with schema 1 left in a file: its script and user_version 1.</summary>
    private static void WriteVersion1(Microsoft.Data.Sqlite.SqliteConnection connection, string prefix)
    {
        Execute(connection, SqlText.Render(Migrator.Migrations.Single(m => m.Version == 1).Script, prefix));
        Execute(connection, "PRAGMA user_version = 1;");
    }
}
