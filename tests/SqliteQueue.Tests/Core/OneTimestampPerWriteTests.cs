using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Core;

/// <summary>One write reads the clock once: columns of one row that stand for "now" agree, whatever the clock does between reads.</summary>
public sealed class OneTimestampPerWriteTests
{
    private static async Task<(SqliteJobQueue Queue, TestDatabase Db)> OpenAsync()
    {
        var db = new TestDatabase();
        var queue = new SqliteJobQueue(db.Options(), new TickingTimeProvider());
        await queue.InitializeAsync();
        return (queue, db);
    }

    [Fact]
    public async Task EnqueueJsonAsync_without_a_delay_gives_the_job_one_time_for_created_and_run_at()
    {
        var (queue, db) = await OpenAsync();
        await using (db)
        await using (queue)
        {
            var id = await queue.Client.EnqueueJsonAsync("t", "{}");
            var job = (await queue.Client.GetJobAsync(id))!;
            job.RunAt.Should().Be(job.CreatedAt);
        }
    }

    [Fact]
    public async Task EnqueueAsync_with_a_delay_runs_exactly_the_delay_after_its_creation()
    {
        var (queue, db) = await OpenAsync();
        await using (db)
        await using (queue)
        {
            var id = await queue.Client.EnqueueAsync("t", 1, new EnqueueOptions { Delay = TimeSpan.FromMinutes(5) });
            var job = (await queue.Client.GetJobAsync(id))!;
            job.RunAt.Should().Be(job.CreatedAt + TimeSpan.FromMinutes(5));
        }
    }

    [Fact]
    public async Task EnqueueManyAsync_of_payloads_gives_every_job_one_time_for_created_and_run_at()
    {
        var (queue, db) = await OpenAsync();
        await using (db)
        await using (queue)
        {
            // 40 jobs: two statements of sixteen rows and single inserts, all in one write.
            var ids = await queue.Client.EnqueueManyAsync("t", Enumerable.Range(0, 40));
            var jobs = (await queue.Client.ListJobsAsync(new JobQuery { Limit = 100 })).Jobs;
            jobs.Select(j => j.Id).Should().Equal(ids);
            jobs.Should().OnlyContain(j => j.RunAt == j.CreatedAt);
            jobs.Select(j => j.CreatedAt).Distinct().Should().ContainSingle("one batch is one write");
        }
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_gives_every_job_one_time_for_created_and_run_at()
    {
        var (queue, db) = await OpenAsync();
        await using (db)
        await using (queue)
        {
            var ids = await queue.Client.EnqueueManyAsync([
                new NewJob("t", "1"),
                new NewJob("t", "2", new EnqueueOptions { Queue = "other", DeduplicationKey = "k" }),
                new NewJob("t", "3", new EnqueueOptions { Delay = TimeSpan.FromSeconds(7) }),
            ]);
            var jobs = (await queue.Client.ListJobsAsync(new JobQuery())).Jobs;
            jobs.Select(j => j.Id).Should().Equal(ids);
            jobs[0].RunAt.Should().Be(jobs[0].CreatedAt);
            jobs[1].RunAt.Should().Be(jobs[1].CreatedAt);
            jobs[2].RunAt.Should().Be(jobs[2].CreatedAt + TimeSpan.FromSeconds(7));
            jobs.Select(j => j.CreatedAt).Distinct().Should().ContainSingle("one batch is one write");
        }
    }
}
