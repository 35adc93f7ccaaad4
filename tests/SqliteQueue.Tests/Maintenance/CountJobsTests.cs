using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Maintenance;
using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Validation;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

/// <summary>CountJobsAsync is the dry run of a bulk change: it must match exactly the jobs the change then touches.</summary>
public sealed class CountJobsTests
{
    private static readonly TimeSpan LongLease = TimeSpan.FromDays(1);

    [Theory]
    [InlineData(JobState.Pending, null, null, false, 6)]
    [InlineData(JobState.Pending, "mail", null, false, 4)]
    [InlineData(JobState.Pending, null, "bounce", false, 2)]
    [InlineData(JobState.Pending, null, null, true, 5)]
    [InlineData(JobState.Pending, "mail", "send", true, 3)]
    [InlineData(JobState.Completed, null, null, false, 4)]
    [InlineData(JobState.Completed, "mail", null, false, 3)]
    [InlineData(JobState.Completed, null, null, true, 3)]
    [InlineData(JobState.Completed, "mail", null, true, 2)]
    [InlineData(JobState.Completed, null, "bounce", false, 0)]
    [InlineData(JobState.Dead, null, null, false, 5)]
    [InlineData(JobState.Dead, null, "send", false, 3)]
    [InlineData(JobState.Dead, "mail", null, false, 4)]
    [InlineData(JobState.Dead, null, null, true, 3)]
    [InlineData(JobState.Dead, "mail", "send", false, 2)]
    [InlineData(JobState.Dead, "mail", "send", true, 0)]
    [InlineData(JobState.Cancelled, null, null, false, 4)]
    [InlineData(JobState.Cancelled, null, null, true, 1)]
    [InlineData(JobState.Cancelled, "sms", null, false, 2)]
    [InlineData(JobState.Cancelled, null, "bounce", false, 1)]
    public async Task CountJobsAsync_counts_exactly_what_DeleteJobsAsync_then_deletes(JobState state, string? queue, string? type, bool before, long expected)
    {
        await using var db = new TestDatabase();
        var cut = await SeedAsync(db);
        var filter = new JobFilter(state) { Queue = queue, Type = type, Before = before ? cut : null };

        var counted = await db.Queue.Maintenance.CountJobsAsync(filter);
        var deleted = await db.Queue.Maintenance.DeleteJobsAsync(filter);

        counted.Should().Be(expected);
        deleted.Should().Be(counted);
        (await db.Queue.Maintenance.CountJobsAsync(filter)).Should().Be(0, "nothing the filter matches is left");
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Theory]
    [InlineData(JobState.Dead, "mail", "send", false, 2)]
    [InlineData(JobState.Dead, null, null, true, 3)]
    [InlineData(JobState.Cancelled, "sms", null, false, 2)]
    [InlineData(JobState.Cancelled, null, null, true, 1)]
    public async Task CountJobsAsync_counts_exactly_what_RetryJobsAsync_then_retries(JobState state, string? queue, string? type, bool before, long expected)
    {
        await using var db = new TestDatabase();
        var cut = await SeedAsync(db);
        var filter = new JobFilter(state) { Queue = queue, Type = type, Before = before ? cut : null };

        var counted = await db.Queue.Maintenance.CountJobsAsync(filter);
        var retried = await db.Queue.Maintenance.RetryJobsAsync(filter);

        counted.Should().Be(expected);
        retried.Should().Be(counted);
        await AssertCountsExactAsync(db.Client, db.ConnectionString);
    }

    [Theory]
    [InlineData(null, false, 3)]
    [InlineData("sms", false, 2)]
    [InlineData(null, true, 1)]
    public async Task CountJobsAsync_counts_running_jobs_that_no_bulk_change_may_touch(string? queue, bool before, long expected)
    {
        await using var db = new TestDatabase();
        var cut = await SeedAsync(db);

        (await db.Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Running) { Queue = queue, Before = before ? cut : null })).Should().Be(expected);

        Long(db, "SELECT COUNT(*) FROM queue_jobs WHERE state = 'running';").Should().Be(3, "a count changes nothing");
    }

    [Fact]
    public async Task CountJobsAsync_of_an_empty_queue_is_zero_in_every_state()
    {
        await using var db = new TestDatabase();

        foreach (var state in Enum.GetValues<JobState>())
        {
            (await db.Queue.Maintenance.CountJobsAsync(new JobFilter(state))).Should().Be(0, state.ToString());
        }
    }

    public static TheoryData<string, JobFilter?, string> BadFilters => new()
    {
        { "a null filter", null, "filter" },
        { "an undefined state", new JobFilter((JobState)42), "filter.State" },
        { "an empty queue", new JobFilter(JobState.Pending) { Queue = "" }, "filter.Queue" },
        { "a queue with a control character", new JobFilter(JobState.Dead) { Queue = "a\nb" }, "filter.Queue" },
        { "a queue too long", new JobFilter(JobState.Completed) { Queue = new string('q', 201) }, "filter.Queue" },
        { "a blank type", new JobFilter(JobState.Running) { Type = " " }, "filter.Type" },
    };

    [Theory]
    [MemberData(nameof(BadFilters))]
    public async Task CountJobsAsync_refuses_a_bad_filter_naming_it(string what, JobFilter? filter, string parameter)
    {
        await using var db = new TestDatabase();

        var exception = (await FluentActions.Awaiting(() => db.Queue.Maintenance.CountJobsAsync(filter!)).Should().ThrowAsync<ArgumentException>(what)).Which;

        exception.ParamName.Should().Be(parameter, what);
    }

    [Fact]
    public async Task CountJobsAsync_shows_the_refused_state()
    {
        await using var db = new TestDatabase();

        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => db.Queue.Maintenance.CountJobsAsync(new JobFilter((JobState)42)), "filter.State", "Unknown job state.", "42");
    }

    [Theory]
    [InlineData(nameof(MaintenanceSql.CountPendingJobs), "queue_jobs_pending_fifo")]
    [InlineData(nameof(MaintenanceSql.CountRunningJobs), "queue_jobs_running_lease")]
    [InlineData(nameof(MaintenanceSql.CountDeadJobs), "queue_jobs_dead")]
    [InlineData(nameof(MaintenanceSql.CountDeadJobsBefore), "queue_jobs_dead_finished")]
    [InlineData(nameof(MaintenanceSql.CountCancelledJobs), "queue_jobs_cancelled")]
    public async Task Count_of_an_indexed_state_walks_its_partial_index_not_the_table(string name, string index)
    {
        await using var db = new TestDatabase();
        await SeedAsync(db);
        var template = (string)typeof(MaintenanceSql).GetField(name)!.GetRawConstantValue()!;
        using var connection = db.Raw();

        // Both with no filter and with every filter set: the optional terms must not push the planner onto the table.
        foreach (var value in new object?[] { null, 1 })
        {
            var plan = Explain(connection, SqlText.Render(template, "queue_"), value);
            plan.Should().Contain(line => line.Contains(index, StringComparison.Ordinal), string.Join(" | ", plan));
            plan.Should().NotContain("SCAN queue_jobs", string.Join(" | ", plan));
        }
    }

    /// <summary>
    /// Jobs in every state, on two queues and two types, half of them before the returned cut-off and half after.
    /// Two cancelled jobs were created before the cut and cancelled after it: Before goes by when a job finished.
    /// </summary>
    private static async Task<DateTimeOffset> SeedAsync(TestDatabase db)
    {
        await CompletedAsync(db.Queue, 2, "mail", "send");
        await CompletedAsync(db.Queue, 1, "sms", "send");
        await DeadAsync(db.Queue, 2, "mail", "bounce");
        await DeadAsync(db.Queue, 1, "sms", "send");
        await RunningAsync(db.Queue, 1, "mail", "send", lease: LongLease);
        await WaitingAsync(db.Client, 3, "mail", "send");
        await WaitingAsync(db.Client, 2, "sms", "bounce");
        await CancelledAsync(db.Client, 1, "mail", "send");
        var cancelledLater = await WaitingAsync(db.Client, 2, "sms", "send");

        db.Time.Advance(TimeSpan.FromMinutes(30));
        var cut = db.Time.GetUtcNow();
        db.Time.Advance(TimeSpan.FromMinutes(30));

        await CompletedAsync(db.Queue, 1, "mail", "send");
        await DeadAsync(db.Queue, 2, "mail", "send");
        await RunningAsync(db.Queue, 2, "sms", "send", lease: LongLease);
        await WaitingAsync(db.Client, 1, "mail", "send");
        foreach (var id in cancelledLater)
        {
            (await db.Client.CancelAsync(id)).Should().Be(CancelResult.Cancelled);
        }

        await CancelledAsync(db.Client, 1, "mail", "bounce");
        return cut;
    }

    /// <summary>Pending jobs due long after the test ends, so the claims that put other jobs in their states never take them.</summary>
    private static async Task<List<long>> WaitingAsync(IQueueClient client, int count, string queue, string type)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await client.EnqueueJsonAsync(type, "{}", new EnqueueOptions { Queue = queue, Delay = TimeSpan.FromDays(30) }));
        }

        return ids;
    }

    private static List<string> Explain(SqliteConnection connection, string sql, object? value)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "@queue", "@type", "@before" })
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var lines = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return lines;
    }
}
