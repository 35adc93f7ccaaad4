using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Conformance;

/// <summary>
/// Recurring jobs on every store that has them: definitions, firing through the scheduler on the manual clock,
/// exactly once across two queues over one store, overlap, misfire, pause, resume, trigger, history and removal.
/// </summary>
public abstract class RecurringConformance<TStore> : ConformanceTest<TStore>
    where TStore : StoreKind, new()
{
    private const string JobType = "recurring.work";

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    // A long poll makes an idle scheduler sleep until exactly its next occurrence, so a test can see it parked there
    // before moving the clock: one that read the time before the move would set its timer a whole wait too late.
    protected override void Configure(SqliteQueueOptions options) => options.PollInterval = Hour;

    private IRecurringJobs Recurring => Queue.Recurring;

    private static RecurringJobDefinition EveryMinute(string name) => new(name, JobType, "every 1 minute") { Overlap = Overlap.Allow };

    [Fact]
    public async Task A_definition_round_trips_through_get_and_list()
    {
        var definition = new RecurringJobDefinition("report", "report.render", "0 9 * * 1-5")
        {
            TimeZone = "America/New_York",
            PayloadJson = """{"kind":"daily","n":[1,2]}""",
            Queue = "reports",
            Priority = -7,
            MaxAttempts = 4,
            Timeout = TimeSpan.FromMinutes(3),
            Misfire = Misfire.Skip,
            MisfireGrace = TimeSpan.FromSeconds(90),
            MaxCatchUp = 12,
            Overlap = Overlap.QueueOne,
        };

        var saved = await Recurring.UpsertAsync(definition);
        await Recurring.UpsertAsync(EveryMinute("another"));

        var info = await Recurring.GetAsync("report");
        info.Should().NotBeNull();
        info!.Definition.Should().BeEquivalentTo(definition);
        info.State.Should().Be(RecurringJobState.Active);
        info.Source.Should().Be(RecurringJobSource.Runtime);
        info.CreatedAt.Should().Be(Now);
        info.UpdatedAt.Should().Be(Now);
        info.FiredCount.Should().Be(0);
        info.LastOccurrenceAt.Should().BeNull();
        info.LastJobId.Should().BeNull();

        // Tuesday 1 January 2030, 00:00 UTC: the first weekday 09:00 in New York is that day at 14:00 UTC.
        info.NextRunAt.Should().Be(new DateTimeOffset(2030, 1, 1, 14, 0, 0, TimeSpan.Zero));
        saved.NextRunAt.Should().Be(info.NextRunAt);
        (await Recurring.ListAsync()).Select(r => r.Name).Should().Equal("another", "report");
        (await Recurring.GetAsync("missing")).Should().BeNull();
    }

    [Fact]
    public async Task An_occurrence_fires_once_at_its_instant_with_the_schedules_job()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("tick", JobType, "every 5 minutes")
        {
            PayloadJson = """{"a": 1, "b": "x"}""",
            Queue = "ticks",
            Priority = 3,
            MaxAttempts = 2,
            Timeout = TimeSpan.FromSeconds(45),
        });
        var first = Now + TimeSpan.FromMinutes(5);
        await using (StartScheduler(Queue))
        {
            await AdvanceToAsync(first);
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 1, "the first occurrence fires");
            await ParkedAtAsync(first + TimeSpan.FromMinutes(5));
        }

        var job = (await JobsAsync()).Single();
        job.Queue.Should().Be("ticks");
        job.Type.Should().Be(JobType);
        job.PayloadJson.Should().Be("""{"a": 1, "b": "x"}""");
        job.Priority.Should().Be(3);
        job.MaxAttempts.Should().Be(2);
        job.Timeout.Should().Be(TimeSpan.FromSeconds(45));
        job.State.Should().Be(JobState.Pending);
        job.RecurringName.Should().Be("tick");
        job.ScheduledFor.Should().Be(first);
        job.RunAt.Should().Be(first);
        job.CreatedAt.Should().Be(first);

        var info = await Recurring.GetAsync("tick");
        info!.NextRunAt.Should().Be(first + TimeSpan.FromMinutes(5));
        info.LastOccurrenceAt.Should().Be(first);
        info.LastJobId.Should().Be(job.Id);
        info.FiredCount.Should().Be(1);
        var history = await Recurring.GetHistoryAsync("tick");
        history.Should().ContainSingle();
        history[0].Outcome.Should().Be(RecurringOutcome.Fired);
        history[0].JobId.Should().Be(job.Id);
        history[0].ScheduledFor.Should().Be(first);
        history[0].Name.Should().Be("tick");
    }

    [Fact]
    public async Task A_cron_schedule_fires_at_each_of_its_instants_and_the_job_can_be_claimed()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("quarter", JobType, "*/15 * * * *") { Overlap = Overlap.Allow });
        var start = Now;
        await using (StartScheduler(Queue))
        {
            for (var i = 1; i <= 3; i++)
            {
                await AdvanceToAsync(start + (i * TimeSpan.FromMinutes(15)));
                var fired = i;
                await Eventually.TrueAsync(async () => (await JobsAsync()).Count == fired, $"occurrence {fired} fires");
            }
        }

        (await JobsAsync()).Select(j => j.ScheduledFor).Should().Equal(
            start + TimeSpan.FromMinutes(15), start + TimeSpan.FromMinutes(30), start + TimeSpan.FromMinutes(45));
        var claimed = await ClaimOneAsync(NewWorker());
        claimed.Recurring.Should().Be(new RecurringOccurrenceContext("quarter", start + TimeSpan.FromMinutes(15), IsCatchUp: false, MissedCount: 0, IsTriggered: false));
    }

    [Fact]
    public async Task Two_schedulers_on_two_queues_over_one_store_fire_every_occurrence_once()
    {
        var names = Enumerable.Range(0, 6).Select(i => $"every-minute-{i}").ToList();
        foreach (var name in names)
        {
            await Recurring.UpsertAsync(EveryMinute(name));
        }

        var start = Now;
        const int Minutes = 8;
        await using var other = new SqliteJobQueue(NewOptions(), Time);
        await other.InitializeAsync();
        await using (StartScheduler(Queue))
        await using (StartScheduler(other))
        {
            for (var m = 1; m <= Minutes; m++)
            {
                // Both are parked on the same instant, so both wake for it and race for each occurrence.
                await AdvanceToAsync(start + (m * Minute), schedulers: 2);
                var expected = m * names.Count;
                await Eventually.TrueAsync(async () => (await JobsAsync()).Count >= expected, $"minute {m} fires everywhere");
            }

            await ParkedAtAsync(start + ((Minutes + 1) * Minute), schedulers: 2);
        }

        var jobs = await JobsAsync();
        jobs.Should().HaveCount(Minutes * names.Count);
        foreach (var name in names)
        {
            jobs.Where(j => j.RecurringName == name).Select(j => j.ScheduledFor).Should()
                .Equal(Enumerable.Range(1, Minutes).Select(m => (DateTimeOffset?)(start + (m * Minute))), $"{name} fires each minute once");
            var history = await Recurring.GetHistoryAsync(name);
            history.Should().HaveCount(Minutes).And.OnlyContain(h => h.Outcome == RecurringOutcome.Fired);
            (await other.Recurring.GetAsync(name))!.FiredCount.Should().Be(Minutes);
        }
    }

    [Fact]
    public async Task Two_queues_adding_the_same_new_schedules_at_once_both_succeed_and_each_name_is_stored_once()
    {
        await Queue.InitializeAsync();
        await using var other = new SqliteJobQueue(NewOptions(), Time);
        await other.InitializeAsync();
        var names = Enumerable.Range(0, 16).Select(i => $"racing-{i}").ToList();

        var upserts = names.SelectMany(n => new[] { Recurring.UpsertAsync(EveryMinute(n)), other.Recurring.UpsertAsync(EveryMinute(n)) });
        var saved = await Task.WhenAll(upserts);

        saved.Should().OnlyContain(i => i.State == RecurringJobState.Active && i.NextRunAt == Now + Minute);
        (await Recurring.ListAsync()).Select(r => r.Name).Should().BeEquivalentTo(names);
        (await other.Recurring.ListAsync()).Should().HaveCount(names.Count);
    }

    [Fact]
    public async Task Overlap_skip_records_an_occurrence_while_the_previous_job_is_live_and_fires_once_it_finished()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("single", JobType, "every 1 minute") { Overlap = Overlap.Skip });
        var start = Now;
        await using (StartScheduler(Queue))
        {
            await AdvanceToAsync(start + Minute);
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 1, "the first occurrence fires");
            var worker = NewWorker(lease: TimeSpan.FromHours(1));
            var running = await ClaimOneAsync(worker);

            await AdvanceToAsync(start + (2 * Minute));
            await Eventually.TrueAsync(async () => (await Recurring.GetHistoryAsync("single")).Count == 2, "the second occurrence is handled");
            (await JobsAsync()).Should().ContainSingle("the first job is still running");

            (await worker.CompleteAsync(running)).Should().BeTrue();
            await AdvanceToAsync(start + (3 * Minute));
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 2, "the third occurrence fires");
        }

        var history = await Recurring.GetHistoryAsync("single");
        history.Select(h => (h.Outcome, h.ScheduledFor)).Should().Equal(
            (RecurringOutcome.Fired, start + (3 * Minute)),
            (RecurringOutcome.SkippedOverlap, start + (2 * Minute)),
            (RecurringOutcome.Fired, start + Minute));
        history[1].JobId.Should().BeNull();
        history[1].Detail.Should().Contain("still");
        (await JobsAsync()).Select(j => j.ScheduledFor).Should().Equal(start + Minute, start + (3 * Minute));
    }

    [Fact]
    public async Task Overlap_queue_one_lets_one_job_wait_behind_a_running_one()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("queued", JobType, "every 1 minute") { Overlap = Overlap.QueueOne });
        var start = Now;
        await using (StartScheduler(Queue))
        {
            await AdvanceToAsync(start + Minute);
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 1, "the first occurrence fires");
            await ClaimOneAsync(NewWorker(lease: TimeSpan.FromHours(1)));

            await AdvanceToAsync(start + (2 * Minute));
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 2, "one job waits behind the running one");
            await AdvanceToAsync(start + (3 * Minute));
            await Eventually.TrueAsync(async () => (await Recurring.GetHistoryAsync("queued")).Count == 3, "the third occurrence is handled");
        }

        (await JobsAsync()).Select(j => j.State).Should().Equal(JobState.Running, JobState.Pending);
        (await Recurring.GetHistoryAsync("queued")).Select(h => h.Outcome).Should().Equal(
            RecurringOutcome.SkippedOverlap, RecurringOutcome.Fired, RecurringOutcome.Fired);
    }

    [Fact]
    public async Task A_paused_schedule_does_not_fire_and_resumes_from_now()
    {
        await Recurring.UpsertAsync(EveryMinute("paused"));
        var start = Now;
        (await Recurring.PauseAsync("paused")).Should().BeTrue();
        var paused = await Recurring.GetAsync("paused");
        paused!.State.Should().Be(RecurringJobState.Paused);

        await using (StartScheduler(Queue))
        {
            // Paused, nothing is due: the scheduler sleeps out its poll.
            await ParkedAtAsync(start + Hour);
            Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(30));
            (await Recurring.ResumeAsync("paused")).Should().BeTrue();
            var resumed = await Recurring.GetAsync("paused");
            resumed!.State.Should().Be(RecurringJobState.Active);
            resumed.NextRunAt.Should().Be(start + TimeSpan.FromMinutes(11), "the occurrences missed while paused are not owed");

            await AdvanceToAsync(start + TimeSpan.FromMinutes(11));
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 1, "the first occurrence after the resume fires");
        }

        (await JobsAsync()).Single().ScheduledFor.Should().Be(start + TimeSpan.FromMinutes(11));
        (await Recurring.GetHistoryAsync("paused")).Should().ContainSingle().Which.Outcome.Should().Be(RecurringOutcome.Fired);
        (await Recurring.PauseAsync("missing")).Should().BeFalse();
        (await Recurring.ResumeAsync("missing")).Should().BeFalse();
    }

    [Fact]
    public async Task A_trigger_enqueues_now_is_recorded_and_respects_overlap_unless_told_otherwise()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("manual", JobType, "0 0 1 1 *") { Queue = "manual", PayloadJson = """{"x":true}""" });
        Time.Advance(TimeSpan.FromMinutes(3));

        var id = await Recurring.TriggerAsync("manual");
        id.Should().NotBeNull();
        var job = await JobAsync(id!.Value);
        job.Queue.Should().Be("manual");
        job.Type.Should().Be(JobType);
        job.PayloadJson.Should().Be("""{"x":true}""");
        job.RecurringName.Should().Be("manual");
        job.RunAt.Should().Be(Now);
        job.State.Should().Be(JobState.Pending);

        // The first job is still pending: overlap skip holds a second one back, unless the trigger ignores it.
        Time.Advance(Minute);
        (await Recurring.TriggerAsync("manual")).Should().BeNull();
        var forced = await Recurring.TriggerAsync("manual", ignoreOverlap: true);
        forced.Should().NotBeNull().And.NotBe(id);

        var history = await Recurring.GetHistoryAsync("manual");
        history.Select(h => (h.Outcome, h.JobId)).Should().Equal(
            (RecurringOutcome.Triggered, forced), (RecurringOutcome.SkippedOverlap, null), (RecurringOutcome.Triggered, id));
        history[^1].RecordedAt.Should().Be(Now - Minute);
        var info = await Recurring.GetAsync("manual");
        info!.NextRunAt.Should().Be(new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero), "a trigger does not move the schedule");
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Recurring.TriggerAsync("missing"));
    }

    [Fact]
    public async Task History_is_newest_first_and_read_up_to_the_limit()
    {
        await Recurring.UpsertAsync(EveryMinute("logged"));
        var start = Now;
        await using (StartScheduler(Queue))
        {
            for (var m = 1; m <= 4; m++)
            {
                await AdvanceToAsync(start + (m * Minute));
                var handled = m;
                await Eventually.TrueAsync(async () => (await Recurring.GetHistoryAsync("logged")).Count == handled, $"minute {handled} is recorded");
            }
        }

        var all = await Recurring.GetHistoryAsync("logged");
        all.Select(h => h.ScheduledFor).Should().Equal(Enumerable.Range(1, 4).Reverse().Select(m => start + (m * Minute)));
        all.Select(h => h.RecordedAt).Should().Equal(all.Select(h => h.ScheduledFor));
        (await Recurring.GetHistoryAsync("logged", 2)).Select(h => h.ScheduledFor).Should().Equal(start + (4 * Minute), start + (3 * Minute));
        (await Recurring.GetHistoryAsync("missing")).Should().BeEmpty();
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Recurring.GetHistoryAsync("logged", 0))).ParamName.Should().Be("limit");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => Recurring.GetHistoryAsync("logged", 1001))).ParamName.Should().Be("limit");
    }

    [Fact]
    public async Task History_keeps_the_newest_thousand_entries_per_schedule()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("busy", JobType, "every 1 minute")
        {
            Misfire = Misfire.RunAll,
            MaxCatchUp = 1000,
            Overlap = Overlap.Allow,
        });
        await Recurring.UpsertAsync(EveryMinute("quiet"));
        var start = Now;

        // 1005 minutes missed: one tick fires the newest 1000 and records the 5 before them as skipped.
        Time.Advance(TimeSpan.FromMinutes(1005));
        await using (StartScheduler(Queue))
        {
            await Eventually.TrueAsync(async () => (await Recurring.GetAsync("busy"))!.FiredCount == 1000, "the missed occurrences fire");
        }

        var history = await Recurring.GetHistoryAsync("busy", 1000);
        history.Should().HaveCount(1000);
        history[0].ScheduledFor.Should().Be(start + TimeSpan.FromMinutes(1005));
        history.Select(h => h.ScheduledFor).Should().BeInDescendingOrder();

        // The tick wrote 1001 entries, the skipped minutes' first: that oldest one is what the trim dropped.
        history[^1].ScheduledFor.Should().Be(start + TimeSpan.FromMinutes(6));
        history.Should().NotContain(h => h.Outcome == RecurringOutcome.SkippedMisfire);
        (await Recurring.GetHistoryAsync("quiet", 1000)).Should().HaveCountLessThan(10, "another schedule's history is its own")
            .And.OnlyContain(h => h.Name == "quiet");
    }

    [Fact]
    public async Task After_a_long_gap_run_once_fires_one_catch_up_job_for_the_missed_occurrences()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("hourly", JobType, "0 * * * *"));
        var start = Now;
        Time.Advance(TimeSpan.FromHours(5) + TimeSpan.FromMinutes(20));
        await using (StartScheduler(Queue))
        {
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 1, "the catch-up job is enqueued");
            await ParkedAtAsync(start + TimeSpan.FromHours(6));
        }

        var job = (await JobsAsync()).Single();
        job.ScheduledFor.Should().Be(start + TimeSpan.FromHours(5), "the catch-up job stands for the newest missed occurrence");
        var history = await Recurring.GetHistoryAsync("hourly");
        history.Should().ContainSingle().Which.Outcome.Should().Be(RecurringOutcome.CaughtUp);
        history[0].Detail.Should().Contain("5 missed occurrences");
        var claimed = await ClaimOneAsync(NewWorker());
        claimed.Recurring!.IsCatchUp.Should().BeTrue();
        claimed.Recurring.MissedCount.Should().Be(5);
        (await Recurring.GetAsync("hourly"))!.NextRunAt.Should().Be(start + TimeSpan.FromHours(6));
    }

    [Fact]
    public async Task After_a_long_gap_skip_fires_nothing_and_then_the_next_occurrence_on_time()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("hourly", JobType, "0 * * * *") { Misfire = Misfire.Skip });
        var start = Now;
        Time.Advance(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(20));
        await using (StartScheduler(Queue))
        {
            await ParkedAtAsync(start + TimeSpan.FromHours(4));
            (await JobsAsync()).Should().BeEmpty();
            (await Recurring.GetHistoryAsync("hourly")).Should().ContainSingle().Which.Outcome.Should().Be(RecurringOutcome.SkippedMisfire);

            await AdvanceToAsync(start + TimeSpan.FromHours(4));
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 1, "the next occurrence fires on time");
        }

        (await JobsAsync()).Single().ScheduledFor.Should().Be(start + TimeSpan.FromHours(4));
    }

    [Fact]
    public async Task After_a_long_gap_run_all_fires_every_missed_occurrence_in_order()
    {
        await Recurring.UpsertAsync(new RecurringJobDefinition("hourly", JobType, "0 * * * *") { Misfire = Misfire.RunAll, Overlap = Overlap.Allow });
        var start = Now;
        Time.Advance(TimeSpan.FromHours(6) + TimeSpan.FromMinutes(1));
        await using (StartScheduler(Queue))
        {
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 6, "every missed occurrence fires");
            await ParkedAtAsync(start + TimeSpan.FromHours(7));
        }

        (await JobsAsync()).Select(j => j.ScheduledFor).Should().Equal(Enumerable.Range(1, 6).Select(h => (DateTimeOffset?)(start + (h * Hour))));
        (await Recurring.GetHistoryAsync("hourly")).Select(h => h.Outcome).Should()
            .Equal(RecurringOutcome.Fired, RecurringOutcome.CaughtUp, RecurringOutcome.CaughtUp, RecurringOutcome.CaughtUp, RecurringOutcome.CaughtUp, RecurringOutcome.CaughtUp);
    }

    [Fact]
    public async Task A_changed_schedule_starts_again_from_now_and_a_changed_payload_keeps_the_next_run()
    {
        await Recurring.UpsertAsync(EveryMinute("changing"));
        var start = Now;
        Time.Advance(TimeSpan.FromSeconds(30));

        var samePlan = await Recurring.UpsertAsync(new RecurringJobDefinition("changing", JobType, "every 1 minute") { Overlap = Overlap.Allow, PayloadJson = """{"v":2}""" });
        samePlan.NextRunAt.Should().Be(start + Minute);
        samePlan.Definition.PayloadJson.Should().Be("""{"v":2}""");
        samePlan.UpdatedAt.Should().Be(Now);
        samePlan.CreatedAt.Should().Be(start);

        var replanned = await Recurring.UpsertAsync(new RecurringJobDefinition("changing", JobType, "every 10 minutes") { Overlap = Overlap.Allow });
        replanned.NextRunAt.Should().Be(start + TimeSpan.FromMinutes(10), "intervals are aligned to the epoch");
        (await Recurring.ListAsync()).Should().ContainSingle();
    }

    [Fact]
    public async Task A_removed_schedule_is_gone_with_its_history_and_no_longer_fires_but_its_jobs_stay()
    {
        await Recurring.UpsertAsync(EveryMinute("doomed"));
        await Recurring.UpsertAsync(EveryMinute("kept"));
        var start = Now;
        await using (StartScheduler(Queue))
        {
            await AdvanceToAsync(start + Minute);
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 2, "both fire once");

            (await Recurring.RemoveAsync("doomed")).Should().BeTrue();
            (await Recurring.RemoveAsync("doomed")).Should().BeFalse();
            await AdvanceToAsync(start + (2 * Minute));
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 3, "the kept schedule fires again");
        }

        (await Recurring.GetAsync("doomed")).Should().BeNull();
        (await Recurring.GetHistoryAsync("doomed")).Should().BeEmpty();
        (await Recurring.ListAsync()).Select(r => r.Name).Should().Equal("kept");
        (await JobsAsync()).Select(j => j.RecurringName).Should().Equal("doomed", "kept", "kept");
    }

    [Fact]
    public async Task A_schedule_removed_and_declared_again_does_not_fire_an_occurrence_that_already_has_a_job()
    {
        await Recurring.UpsertAsync(EveryMinute("again"));
        var start = Now;
        await using (StartScheduler(Queue))
        {
            await AdvanceToAsync(start + Minute);
            await Eventually.TrueAsync(async () => (await JobsAsync()).Count == 1, "the first occurrence fires");
            await ParkedAtAsync(start + (2 * Minute));
        }

        // Declared again with the clock put back: its first occurrence is one that already made a job.
        await Recurring.RemoveAsync("again");
        var back = new ManualTimeProvider(start);
        await using var earlier = new SqliteJobQueue(NewOptions(), back);
        await earlier.Recurring.UpsertAsync(EveryMinute("again"));
        back.Advance(Minute);
        await using (StartScheduler(earlier))
        {
            await Eventually.TrueAsync(async () => (await Recurring.GetHistoryAsync("again")).Count == 1, "the occurrence is handled");
        }

        (await JobsAsync()).Should().ContainSingle();
        var history = await Recurring.GetHistoryAsync("again");
        history[0].Outcome.Should().Be(RecurringOutcome.AlreadyFired);
        history[0].ScheduledFor.Should().Be(start + Minute);
        (await Recurring.GetAsync("again"))!.NextRunAt.Should().Be(start + (2 * Minute), "the occurrence is handled all the same");
    }

    /// <summary>This suite's jobs, in id order.</summary>
    private async Task<List<JobInfo>> JobsAsync() =>
        (await Client.ListJobsAsync(new JobQuery { Type = JobType, Limit = 1000 })).Jobs.ToList();

    /// <summary>Waits until <paramref name="schedulers"/> schedulers sleep until exactly <paramref name="at"/>.</summary>
    private async Task ParkedAtAsync(DateTimeOffset at, int schedulers = 1) =>
        await Eventually.TrueAsync(() => Time.TimersDueAt(at) >= schedulers, $"{schedulers} scheduler(s) sleep until {at:O}");

    /// <summary>Moves the clock to <paramref name="at"/> once the schedulers sleep until then, so the move wakes them.</summary>
    private async Task AdvanceToAsync(DateTimeOffset at, int schedulers = 1)
    {
        await ParkedAtAsync(at, schedulers);
        Time.Advance(at - Now);
    }

    private static RunningScheduler StartScheduler(SqliteJobQueue queue) => new(queue);

    /// <summary>A scheduler running in the background until disposed; a failure of its loop fails the test there.</summary>
    private sealed class RunningScheduler : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public RunningScheduler(SqliteJobQueue queue) => _run = queue.RunRecurringSchedulerAsync(_stop.Token);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run.WaitAsync(Eventually.Bound);
            _stop.Dispose();
        }
    }
}

public sealed class RecurringConformanceOnSqliteFile : RecurringConformance<SqliteFileStore>;

public sealed class RecurringConformanceOnSqliteMemory : RecurringConformance<SqliteMemoryStore>;

public sealed class RecurringConformanceOnPostgreSql : RecurringConformance<PostgreSqlStore>;
