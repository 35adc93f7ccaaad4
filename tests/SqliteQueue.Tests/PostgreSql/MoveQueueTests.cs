using SqliteQueue.PostgreSql;
using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.PostgreSql;

/// <summary>The procedure docs/postgresql.md gives for moving a queue from a SQLite file to PostgreSQL, run as written.</summary>
public sealed class MoveQueueTests
{
    [Fact]
    public async Task Pending_jobs_and_schedules_move_from_a_SQLite_file_to_PostgreSQL_with_their_options()
    {
        await using var db = new TestDatabase();
        await using var schema = new PostgreSqlSchema();
        await using var from = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = db.ConnectionString });
        await using var to = new SqliteJobQueue(new SqliteQueueOptions().UsePostgreSql(PostgreSqlServer.ConnectionString, o => o.Schema = schema.Name));

        // What the old store holds: a finished job (history, stays), a job that already spent an attempt, a delayed one
        // with every option, and more than one page of plain jobs.
        var done = await from.Client.EnqueueAsync("report", new { N = 0 });
        var worker = from.Create();
        (await worker.CompleteAsync((await worker.ClaimAsync()).Single())).Should().BeTrue();
        await from.Client.EnqueueAsync("email", new { To = "a@example.com" }, new EnqueueOptions { MaxAttempts = 3 });
        var claimed = (await worker.ClaimAsync()).Single();
        (await worker.FailAsync(claimed, "smtp down")).Applied.Should().BeTrue();
        var runAt = DateTimeOffset.UtcNow.AddHours(2);
        await from.Client.EnqueueJsonAsync("invoice", """{"id": 7, "total": 2.50}""", new EnqueueOptions
        {
            Queue = "billing", Priority = -5, RunAt = runAt, MaxAttempts = 9, Timeout = TimeSpan.FromMinutes(2), DeduplicationKey = "invoice-7",
        });
        await from.Client.EnqueueManyAsync("bulk", Enumerable.Range(1, 1500).Select(i => new { I = i }));
        await from.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "report", "0 3 * * *") { Queue = "reports" });

        // The documented loop, verbatim apart from the stores' names.
        for (long? after = 0; after is not null;)
        {
            var page = await from.Client.ListJobsAsync(new JobQuery { State = JobState.Pending, AfterId = after.Value, Limit = 1000 });
            foreach (var job in page.Jobs)
            {
                await to.Client.EnqueueJsonAsync(job.Type, job.PayloadJson, new EnqueueOptions
                {
                    Queue = job.Queue,
                    Priority = job.Priority,
                    RunAt = job.RunAt,
                    MaxAttempts = Math.Max(1, job.MaxAttempts - job.Attempt),
                    Timeout = job.Timeout,
                    DeduplicationKey = job.DeduplicationKey,
                });
                await from.Client.CancelAsync(job.Id);
            }

            after = page.NextAfterId;
        }

        foreach (var schedule in await from.Recurring.ListAsync())
        {
            await to.Recurring.UpsertAsync(schedule.Definition);
        }

        (await from.Client.CountActiveAsync()).Should().Be(0, "every pending job was copied and then cancelled on the old store");
        (await from.Client.GetJobAsync(done))!.State.Should().Be(JobState.Completed);
        (await to.Client.CountActiveAsync()).Should().Be(1502);

        var moved = (await to.Client.ListJobsAsync(new JobQuery { Queue = "billing" })).Jobs.Single();
        moved.Type.Should().Be("invoice");
        moved.PayloadJson.Should().Be("""{"id": 7, "total": 2.50}""");
        moved.Priority.Should().Be(-5);
        // On the database's clock a run-at is the same delay from the database's now: equal up to the two clocks' skew.
        moved.RunAt.Should().BeCloseTo(runAt, TimeSpan.FromSeconds(5));
        moved.MaxAttempts.Should().Be(9);
        moved.Timeout.Should().Be(TimeSpan.FromMinutes(2));
        moved.DeduplicationKey.Should().Be("invoice-7");
        (await to.Client.ListJobsAsync(new JobQuery { Type = "email" })).Jobs.Single().MaxAttempts.Should().Be(2, "one of its three attempts was spent");
        (await to.Client.ListJobsAsync(new JobQuery { Type = "bulk", Limit = 1000 })).Jobs.Should().HaveCount(1000);

        var nightly = await to.Recurring.GetAsync("nightly");
        nightly.Should().NotBeNull();
        nightly!.Definition.Queue.Should().Be("reports");
    }
}
