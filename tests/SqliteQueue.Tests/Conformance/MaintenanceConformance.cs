using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Conformance;

public abstract class MaintenanceConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    [Fact]
    public async Task A_prune_deletes_only_finished_jobs_older_than_their_states_retention()
    {
        var oldCompleted = await FinishedAsync(JobState.Completed);
        var oldCancelled = await FinishedAsync(JobState.Cancelled);
        var oldDead = await FinishedAsync(JobState.Dead);
        var oldPending = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "idle" });
        Time.Advance(2 * Day);
        var newCompleted = await FinishedAsync(JobState.Completed);
        var newCancelled = await FinishedAsync(JobState.Cancelled);
        var newDead = await FinishedAsync(JobState.Dead);
        var running = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "busy" });
        await ClaimOneAsync(NewWorker(queues: ["busy"]));

        var result = await Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = Day, Cancelled = Day, Dead = Day });

        result.Should().Match<PruneResult>(r => r.Completed == 1 && r.Cancelled == 1 && r.Dead == 1 && r.Total == 3);
        foreach (var gone in new[] { oldCompleted, oldCancelled, oldDead })
        {
            (await Client.GetJobAsync(gone)).Should().BeNull();
            (await Client.GetExecutionsAsync(gone)).Should().BeEmpty("executions go with their jobs");
        }

        foreach (var kept in new[] { oldPending, newCompleted, newCancelled, newDead, running })
        {
            (await Client.GetJobAsync(kept)).Should().NotBeNull();
        }

        var stats = (await Client.GetStatsAsync()).For(QueueNames.Default);
        (stats.Completed, stats.Cancelled, stats.Dead).Should().Be((1L, 1L, 1L), "the finished counts follow the prune");
    }

    [Fact]
    public async Task A_state_kept_forever_is_never_pruned_and_each_state_has_its_own_cutoff()
    {
        var completed = await FinishedAsync(JobState.Completed);
        var cancelled = await FinishedAsync(JobState.Cancelled);
        var dead = await FinishedAsync(JobState.Dead);
        Time.Advance(3 * Day);

        var result = await Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = null, Cancelled = 2 * Day, Dead = 4 * Day });

        result.Total.Should().Be(1);
        (await Client.GetJobAsync(completed)).Should().NotBeNull("completed jobs are kept forever");
        (await Client.GetJobAsync(cancelled)).Should().BeNull();
        (await Client.GetJobAsync(dead)).Should().NotBeNull("it died 3 days ago and dead jobs are kept 4");
    }

    [Fact]
    public async Task A_prune_of_many_jobs_runs_in_bounded_batches_and_keeps_what_finished_later()
    {
        var ids = await Client.EnqueueManyAsync("t", Enumerable.Range(0, 1500));
        var worker = NewWorker();
        for (var done = 0; done < ids.Count;)
        {
            var claimed = await worker.ClaimAsync(500);
            (await worker.CompleteManyAsync(claimed)).Should().OnlyContain(ok => ok);
            done += claimed.Count;
        }

        Time.Advance(2 * Day);
        var recent = await FinishedAsync(JobState.Completed);

        var result = await Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = Day });

        result.Completed.Should().Be(1500);
        result.Batches.Should().BeGreaterThan(1, "a prune never deletes the whole history in one transaction");
        (await Client.GetJobAsync(recent)).Should().NotBeNull();
        (await Client.GetStatsAsync()).For(QueueNames.Default).Completed.Should().Be(1);
    }

    [Fact]
    public async Task Counting_and_deleting_by_filter_select_by_state_queue_type_and_age()
    {
        var oldDeadA = await FinishedAsync(JobState.Dead, "a", "x");
        Time.Advance(Day);
        var cutoff = Now;
        Time.Advance(Day);
        var deadA = await FinishedAsync(JobState.Dead, "a", "x");
        var deadAOtherType = await FinishedAsync(JobState.Dead, "a", "y");
        var deadB = await FinishedAsync(JobState.Dead, "b", "x");
        var completedA = await FinishedAsync(JobState.Completed, "a", "x");
        var pendingA = await Client.EnqueueAsync("x", 1, new EnqueueOptions { Queue = "a" });

        (await Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Dead))).Should().Be(4);
        (await Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Dead) { Queue = "a" })).Should().Be(3);
        (await Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Dead) { Queue = "a", Type = "x" })).Should().Be(2);
        (await Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Dead) { Before = cutoff })).Should().Be(1);
        (await Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Completed) { Queue = "a" })).Should().Be(1);
        (await Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Pending) { Queue = "a", Type = "x" })).Should().Be(1);
        (await Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Cancelled))).Should().Be(0);

        (await Queue.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Dead) { Before = cutoff })).Should().Be(1);
        (await Client.GetJobAsync(oldDeadA)).Should().BeNull();
        (await Queue.Maintenance.DeleteJobsAsync(new JobFilter(JobState.Dead) { Queue = "a", Type = "x" })).Should().Be(1);
        (await Client.GetJobAsync(deadA)).Should().BeNull();

        foreach (var kept in new[] { deadAOtherType, deadB, completedA, pendingA })
        {
            (await Client.GetJobAsync(kept)).Should().NotBeNull();
        }

        (await Queue.Maintenance.CountJobsAsync(new JobFilter(JobState.Dead))).Should().Be(2);
        (await Client.GetStatsAsync()).For("a").Dead.Should().Be(1, "the finished counts follow a bulk delete");
    }

    [Fact]
    public async Task Retrying_by_filter_makes_the_selected_jobs_pending_with_fresh_attempts()
    {
        var deadA = await FinishedAsync(JobState.Dead, "a");
        var cancelledA = await FinishedAsync(JobState.Cancelled, "a");
        var deadB = await FinishedAsync(JobState.Dead, "b");
        Time.Advance(TimeSpan.FromMinutes(1));

        (await Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Dead) { Queue = "a" })).Should().Be(1);

        var retried = await JobAsync(deadA);
        retried.State.Should().Be(JobState.Pending);
        retried.Attempt.Should().Be(0);
        retried.FinishedAt.Should().BeNull();
        retried.RunAt.Should().Be(Now, "a retried job is due at once");
        (await JobAsync(cancelledA)).State.Should().Be(JobState.Cancelled);
        (await JobAsync(deadB)).State.Should().Be(JobState.Dead);
        (await Client.GetStatsAsync()).For("a").Dead.Should().Be(0);
        (await ClaimOneAsync(NewWorker(queues: ["a"]))).Id.Should().Be(deadA);

        (await Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Cancelled))).Should().Be(1);
        (await JobAsync(cancelledA)).State.Should().Be(JobState.Pending);
    }

    [Fact]
    public async Task A_bulk_retry_leaves_dead_a_job_whose_deduplication_key_a_live_job_holds()
    {
        var dead = await Client.EnqueueAsync("t", 1, new EnqueueOptions { MaxAttempts = 1, DeduplicationKey = "k" });
        var worker = NewWorker();
        await worker.FailAsync(await ClaimOneAsync(worker), "broken");
        var other = await FinishedAsync(JobState.Dead);
        var live = await Client.EnqueueAsync("t", 2, new EnqueueOptions { DeduplicationKey = "k" });

        (await Queue.Maintenance.RetryJobsAsync(new JobFilter(JobState.Dead))).Should().Be(1);

        (await JobAsync(dead)).State.Should().Be(JobState.Dead);
        (await JobAsync(other)).State.Should().Be(JobState.Pending);
        (await JobAsync(live)).State.Should().Be(JobState.Pending);
    }

    [Fact]
    public async Task Deleting_by_ids_deletes_every_job_but_running_ones()
    {
        var completed = await FinishedAsync(JobState.Completed);
        var running = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "busy" });
        await ClaimOneAsync(NewWorker(queues: ["busy"]));
        var pending = await Client.EnqueueAsync("t", 1);
        var kept = await Client.EnqueueAsync("t", 1);

        (await Queue.Maintenance.DeleteJobsAsync([completed, running, pending, 999_999])).Should().Be(2);

        (await Client.GetJobAsync(completed)).Should().BeNull();
        (await Client.GetJobAsync(pending)).Should().BeNull();
        (await JobAsync(running)).State.Should().Be(JobState.Running);
        (await JobAsync(kept)).State.Should().Be(JobState.Pending);
        (await Client.GetStatsAsync()).For(QueueNames.Default).Completed.Should().Be(0);
    }

    [Fact]
    public async Task Purging_a_queue_deletes_its_waiting_and_finished_jobs_and_requests_cancellation_of_running_ones()
    {
        var finished = await FinishedAsync(JobState.Completed, "q");
        var dead = await FinishedAsync(JobState.Dead, "q");
        var running = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "q" });
        var worker = NewWorker(queues: ["q"]);
        var job = await ClaimOneAsync(worker);
        var pending = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "q" });
        var elsewhere = await Client.EnqueueAsync("t", 1, new EnqueueOptions { Queue = "other" });

        var result = await Queue.Maintenance.PurgeQueueAsync("q");

        result.Should().Be(new PurgeResult(3, 1));
        foreach (var gone in new[] { finished, dead, pending })
        {
            (await Client.GetJobAsync(gone)).Should().BeNull();
        }

        (await JobAsync(running)).State.Should().Be(JobState.Running);
        (await worker.RenewLeaseAsync(job)).Should().Be(RenewResult.CancellationRequested, "the running job's worker hears of the request");
        (await JobAsync(elsewhere)).State.Should().Be(JobState.Pending);
    }

    [Fact]
    public async Task Of_two_queues_running_maintenance_on_one_store_only_one_holds_the_lease_until_it_stops()
    {
        var options = new MaintenanceOptions
        {
            LeaseDuration = TimeSpan.FromSeconds(30),
            CheckpointInterval = TimeSpan.FromHours(1),
            PruneInterval = TimeSpan.FromDays(1),
            IntegrityCheckInterval = null,
            Retention = new RetentionOptions { Completed = null, Cancelled = null, Dead = null },
        };
        var start = Now;
        var firstLogs = new LogCapture();
        var secondLogs = new LogCapture();
        await using var first = new SqliteJobQueue(NewOptions(), Time, firstLogs);
        await using var second = new SqliteJobQueue(NewOptions(), Time, secondLogs);

        await using var firstRun = Run(first, options);
        await Eventually.TrueAsync(() => firstLogs.WithId(MaintenanceLeaseTaken).Any(), "the first loop takes the free lease");
        await Eventually.TrueAsync(() => Time.HasTimerDueAt(start + TimeSpan.FromSeconds(10)), "the holder waits to renew");

        // A second later, so the standby's wake is a timer of its own.
        Time.Advance(TimeSpan.FromSeconds(1));
        await using var secondRun = Run(second, options);
        await Eventually.TrueAsync(() => Time.HasTimerDueAt(start + TimeSpan.FromSeconds(11)), "the standby tried and waits to try again");
        secondLogs.WithId(MaintenanceLeaseTaken).Should().BeEmpty("a live lease cannot be taken");

        // Rounds of both: the holder renews, the standby keeps trying; the lease never has two holders.
        for (var round = 1; round <= 3; round++)
        {
            var timers = Time.TimersCreated;
            Time.Advance(TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => Time.TimersCreated >= timers + 2, "both loops ran their round and wait for the next");
        }

        secondLogs.WithId(MaintenanceLeaseTaken).Should().BeEmpty();
        firstLogs.WithId(MaintenanceLeaseTaken).Should().ContainSingle("the holder kept its lease by renewing it");
        firstLogs.WithId(MaintenanceLeaseLost).Should().BeEmpty();

        await firstRun.StopAsync();
        Time.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => secondLogs.WithId(MaintenanceLeaseTaken).Any(), "the standby takes the released lease at its next try");
        var health = await second.Monitor.CheckHealthAsync(new SqliteQueue.Monitoring.QueueHealthOptions { MaxIntegrityCheckAge = null });
        health.Data.Should().ContainKey(SqliteQueue.Monitoring.QueueHealthFigures.MaintenanceAge, "the holders' prunes are recorded");
    }

    [Fact]
    public async Task The_operations_on_the_SQLite_file_are_not_supported_on_PostgreSQL()
    {
        if (Store is not PostgreSqlStore)
        {
            return;
        }

        var maintenance = Queue.Maintenance;
        await FluentActions.Invoking(() => maintenance.CheckpointAsync()).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Invoking(() => maintenance.IncrementalVacuumAsync()).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Invoking(() => maintenance.VacuumAsync()).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Invoking(() => maintenance.BackupAsync(Path.Combine(Path.GetTempPath(), "never.db"))).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Invoking(() => maintenance.CheckIntegrityAsync()).Should().ThrowAsync<NotSupportedException>();
        (await maintenance.CountJobsAsync(new JobFilter(JobState.Pending))).Should().Be(0, "the portable operations still work");
    }

    [Fact]
    public async Task A_prune_deletes_the_throughput_series_older_than_it_keeps()
    {
        await FinishedAsync(JobState.Completed);
        var first = Now;
        Time.Advance(TimeSpan.FromDays(20));
        await FinishedAsync(JobState.Completed);

        await Queue.Maintenance.PruneAsync(new RetentionOptions());

        var buckets = await Queue.Monitor.GetThroughputAsync(first, TimeSpan.FromDays(1));
        buckets.Sum(b => b.Completed).Should().Be(1, "the series is kept 14 days when every retention is shorter");
        buckets[^1].Completed.Should().Be(1);
    }

    private const int MaintenanceLeaseTaken = 4001;
    private const int MaintenanceLeaseLost = 4002;

    /// <summary>A job of <paramref name="state"/> on <paramref name="queue"/>, finished now (the only job claimable there).</summary>
    private async Task<long> FinishedAsync(JobState state, string queue = QueueNames.Default, string type = "t")
    {
        var id = await Client.EnqueueAsync(type, 1, new EnqueueOptions { Queue = queue, MaxAttempts = 1 });
        if (state == JobState.Cancelled)
        {
            (await Client.CancelAsync(id)).Should().Be(CancelResult.Cancelled);
            return id;
        }

        var worker = NewWorker(queues: [queue]);
        var job = await ClaimOneAsync(worker);
        job.Id.Should().Be(id);
        if (state == JobState.Completed)
        {
            (await worker.CompleteAsync(job)).Should().BeTrue();
        }
        else
        {
            (await worker.FailAsync(job, "broken")).State.Should().Be(JobState.Dead);
        }

        return id;
    }

    private static Runner Run(SqliteJobQueue queue, MaintenanceOptions options)
    {
        var stop = new CancellationTokenSource();
        return new Runner(Task.Run(() => queue.RunMaintenanceAsync(options, stop.Token)), stop);
    }

    private sealed class Runner(Task run, CancellationTokenSource stop) : IAsyncDisposable
    {
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

public sealed class MaintenanceConformanceOnSqliteFile : MaintenanceConformance<SqliteFileStore>;

public sealed class MaintenanceConformanceOnSqliteMemory : MaintenanceConformance<SqliteMemoryStore>;

public sealed class MaintenanceConformanceOnPostgreSql : MaintenanceConformance<PostgreSqlStore>;
