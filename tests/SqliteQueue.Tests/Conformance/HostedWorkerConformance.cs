using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Conformance;

public abstract class HostedWorkerConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    // Retries come due at once, so the hosted worker reaches every attempt without the clock being moved.
    protected override void Configure(SqliteQueueOptions options) => options.BackoffPolicy = new FixedBackoff(TimeSpan.Zero);

    [Fact]
    public async Task A_hosted_worker_runs_every_job_to_completion_once()
    {
        var probe = new HostProbe();
        await using var host = await StartHostAsync(probe, o => o.Concurrency = 4);

        var ids = await host.Client.EnqueueManyAsync(ConformanceHandler.JobType, Enumerable.Range(0, 50).Select(i => new ConformanceWork(i)));

        await Eventually.TrueAsync(async () => await host.Client.CountActiveAsync() == 0, "all 50 jobs were processed");
        probe.Started.Select(s => s.JobId).Should().BeEquivalentTo(ids, "each job ran exactly once");
        probe.Started.Should().OnlyContain(s => s.Attempt == 1);
        (await host.Client.GetStatsAsync()).For(QueueNames.Default).Completed.Should().Be(50);
        foreach (var id in ids.Where((_, i) => i % 10 == 0))
        {
            var history = await host.Client.GetExecutionsAsync(id);
            history.Should().ContainSingle().Which.Should().Match<JobExecution>(e => e.Outcome == ExecutionOutcome.Completed && e.WorkerId == "hosted");
        }
    }

    [Fact]
    public async Task A_throwing_handlers_job_is_retried_until_its_attempts_are_spent_then_dies()
    {
        var probe = new HostProbe { Run = (job, _) => throw new InvalidOperationException($"broken on attempt {job.Attempt}") };
        await using var host = await StartHostAsync(probe);

        var id = await host.Client.EnqueueAsync(ConformanceHandler.JobType, new ConformanceWork(1), new EnqueueOptions { MaxAttempts = 3 });

        var job = await host.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound);
        job.State.Should().Be(JobState.Dead);
        job.Attempt.Should().Be(3);
        job.LastError.Should().Contain("broken on attempt 3");
        probe.Started.Where(s => s.JobId == id).Select(s => s.Attempt).Should().Equal(1, 2, 3);
        var history = await host.Client.GetExecutionsAsync(id);
        history.Select(e => (e.Attempt, e.Outcome)).Should().Equal((1, ExecutionOutcome.Failed), (2, ExecutionOutcome.Failed), (3, ExecutionOutcome.Failed));
        history[0].Error.Should().Contain("broken on attempt 1");
    }

    [Fact]
    public async Task A_permanent_failure_in_a_handler_dead_letters_its_job_at_once()
    {
        var probe = new HostProbe { Run = (_, _) => throw new PermanentJobFailureException("cannot ever work") };
        await using var host = await StartHostAsync(probe);

        var id = await host.Client.EnqueueAsync(ConformanceHandler.JobType, new ConformanceWork(1), new EnqueueOptions { MaxAttempts = 5 });

        var job = await host.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound);
        job.State.Should().Be(JobState.Dead);
        job.Attempt.Should().Be(1);
        job.LastError.Should().Contain("cannot ever work");
    }

    [Fact]
    public async Task A_graceful_stop_leaves_no_job_running_and_spends_no_attempt()
    {
        var probe = new HostProbe { Run = (_, token) => Task.Delay(Timeout.Infinite, token) };
        var host = await StartHostAsync(probe, o =>
        {
            o.Concurrency = 2;
            o.ShutdownTimeout = TimeSpan.Zero;
        });
        var client = host.Client;
        var ids = await client.EnqueueManyAsync(ConformanceHandler.JobType, Enumerable.Range(0, 5).Select(i => new ConformanceWork(i)));
        await Eventually.TrueAsync(() => probe.Started.Count == 2, "both slots run a handler");

        await host.StopAsync();

        var jobs = new List<JobInfo>();
        foreach (var id in ids)
        {
            jobs.Add((await client.GetJobAsync(id))!);
        }

        jobs.Should().OnlyContain(j => j.State == JobState.Pending && j.Attempt == 0 && j.LeaseOwner == null);
        (await client.ListJobsAsync(new JobQuery { State = JobState.Running })).Jobs.Should().BeEmpty();
        foreach (var (jobId, _) in probe.Started)
        {
            (await client.GetExecutionsAsync(jobId)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Released);
        }
    }
}

public sealed class HostedWorkerConformanceOnSqliteFile : HostedWorkerConformance<SqliteFileStore>;

public sealed class HostedWorkerConformanceOnSqliteMemory : HostedWorkerConformance<SqliteMemoryStore>;

public sealed class HostedWorkerConformanceOnPostgreSql : HostedWorkerConformance<PostgreSqlStore>;

public sealed class HostedWorkerConformanceOnPostgreSqlPollOnly : HostedWorkerConformance<PostgreSqlPollOnlyStore>;
