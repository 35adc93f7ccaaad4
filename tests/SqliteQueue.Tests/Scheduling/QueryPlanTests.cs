using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Scheduling;

/// <summary>Claim cost must not grow with queue depth: every claim statement is served by an index.</summary>
public sealed class QueryPlanTests
{
    public static TheoryData<string> ClaimStatements => new()
    {
        nameof(JobSql.ClaimOneFifo), nameof(JobSql.PendingFifo),
        nameof(JobSql.ClaimOneLifo), nameof(JobSql.PendingLifo),
        nameof(JobSql.ClaimOnePriority), nameof(JobSql.PendingPriority),
        nameof(JobSql.ClaimOneInClass), nameof(JobSql.PendingInClass), nameof(JobSql.ClaimById),
        nameof(JobSql.PriorityClasses), nameof(JobSql.AnyLeaseExpired), nameof(JobSql.RescueExpiredLeases),
        nameof(JobSql.Enqueue), nameof(JobSql.EnqueueSixteen), nameof(JobSql.FindLiveDuplicate),
        nameof(JobSql.CompleteJob), nameof(JobSql.FailJob), nameof(JobSql.ReleaseJob), nameof(JobSql.RenewLease),
    };

    [Theory]
    [MemberData(nameof(ClaimStatements))]
    public async Task Hot_statement_uses_indexes_with_no_scan_and_no_temp_btree(string name)
    {
        await using var db = new TestDatabase();
        await SeedAsync(db);
        var template = (string)typeof(JobSql).GetField(name)!.GetRawConstantValue()!;
        using var connection = db.Raw();

        var plan = ExplainAll(connection, SqlText.Render(template, "queue_"));

        plan.Should().NotBeEmpty();
        // "SCAN classes" walks the handful of rows of the priority-class CTE, and a VALUES clause is the statement's own rows: neither is a table.
        plan.Should().NotContain(line => line.StartsWith("SCAN", StringComparison.Ordinal) && line != "SCAN CONSTANT ROW" && line != "SCAN classes"
            && !line.EndsWith("VALUES CLAUSE", StringComparison.Ordinal),
            $"{name} must not scan a table: {string.Join(" | ", plan)}");
        plan.Should().NotContain(line => line.Contains("TEMP B-TREE", StringComparison.Ordinal), $"{name} must not sort: {string.Join(" | ", plan)}");
    }

    [Theory]
    [InlineData(nameof(JobSql.ClaimOneFifo), "queue_jobs_pending_fifo")]
    [InlineData(nameof(JobSql.PendingLifo), "queue_jobs_pending_fifo")]
    [InlineData(nameof(JobSql.PendingFifo), "queue_jobs_pending_fifo")]
    [InlineData(nameof(JobSql.ClaimOnePriority), "queue_jobs_pending_priority")]
    [InlineData(nameof(JobSql.PendingInClass), "queue_jobs_pending_priority")]
    [InlineData(nameof(JobSql.PendingPriority), "queue_jobs_pending_priority")]
    [InlineData(nameof(JobSql.AnyLeaseExpired), "queue_jobs_running_lease")]
    public async Task Claim_statement_uses_its_own_index(string name, string index)
    {
        await using var db = new TestDatabase();
        await SeedAsync(db);
        var template = (string)typeof(JobSql).GetField(name)!.GetRawConstantValue()!;
        using var connection = db.Raw();

        ExplainAll(connection, SqlText.Render(template, "queue_")).Should().Contain(line => line.Contains(index, StringComparison.Ordinal));
    }

    // Newest-first listings read the id window downwards from its upper bound: the rowid (or the state's partial index
    // on id) walked backwards, stopping after the page, never the window collected and sorted.
    [Theory]
    [InlineData(nameof(JobSql.ListJobsNewest), "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")]
    [InlineData(nameof(JobSql.ListCompletedJobsNewest), "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")]
    [InlineData(nameof(JobSql.ListDeadJobsNewest), "USING INDEX queue_jobs_dead")]
    [InlineData(nameof(JobSql.ListCancelledJobsNewest), "USING INDEX queue_jobs_cancelled")]
    [InlineData(nameof(JobSql.ListJobs), "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")]
    [InlineData(nameof(JobSql.ListCompletedJobs), "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)")]
    [InlineData(nameof(JobSql.ListDeadJobs), "USING INDEX queue_jobs_dead")]
    public async Task Listing_walks_the_id_window_in_order_with_no_temp_btree(string name, string access)
    {
        await using var db = new TestDatabase();
        await SeedAsync(db);
        var template = (string)typeof(JobSql).GetField(name)!.GetRawConstantValue()!;
        using var connection = db.Raw();

        var plan = ExplainAll(connection, SqlText.Render(template, "queue_"));

        plan.Should().Contain(line => line.StartsWith("SEARCH queue_jobs", StringComparison.Ordinal) && line.Contains(access, StringComparison.Ordinal),
            $"{name} must read a bounded id range: {string.Join(" | ", plan)}");
        plan.Should().NotContain(line => line.Contains("TEMP B-TREE", StringComparison.Ordinal), $"{name} must not sort: {string.Join(" | ", plan)}");
    }

    [Fact]
    public async Task Every_statement_prepares_against_the_schema()
    {
        await using var db = new TestDatabase();
        await db.Client.GetStatsAsync();
        using var connection = db.Raw();

        foreach (var template in SqlText.AllTemplates)
        {
            using var command = connection.CreateCommand();
            command.CommandText = SqlText.Render(template, "queue_");
            var act = command.Prepare;
            act.Should().NotThrow(template);
        }
    }

    private static async Task SeedAsync(TestDatabase db)
    {
        // Enough rows, in several states and priorities, for the planner to choose as it would in production.
        await db.Client.EnqueueManyAsync(Enumerable.Range(0, 300).Select(i =>
            new NewJob("t", "{}", new EnqueueOptions { Priority = i % 7, Queue = i % 3 == 0 ? "other" : null, DeduplicationKey = i % 5 == 0 ? $"k{i}" : null })));
        var worker = db.Worker();
        foreach (var job in await worker.ClaimAsync(50))
        {
            await worker.CompleteAsync(job);
        }

        // No ANALYZE: the library never runs it, so the plans must hold without statistics.
        await worker.ClaimAsync(10);
    }

    /// <summary>EXPLAIN QUERY PLAN of each statement in a multi-statement text; parameters are bound to NULL.</summary>
    private static List<string> ExplainAll(SqliteConnection connection, string sql)
    {
        var lines = new List<string>();
        foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + statement;
            foreach (var name in System.Text.RegularExpressions.Regex.Matches(statement, "@[a-z_0-9]+").Select(m => m.Value).Distinct())
            {
                command.Parameters.AddWithValue(name, 1);
            }

            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                lines.Add(reader.GetString(3));
            }
        }

        return lines;
    }
}
