using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal;
using SqliteQueue.Scheduling;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Processing;

/// <summary>What the worker writes and logs for each outcome: one event id each, a level that fits, errors message first.</summary>
public sealed class OutcomeTests
{
    private static RuntimeFixture Fixture(Behavior behavior, LogCapture logs) => new(
        q => q.AddHandler<Work, WorkHandler>("work"),
        s => s.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>(),
        logs: logs);

    [Fact]
    public async Task A_running_job_cancelled_on_request_is_logged_as_cancelled_at_information_with_no_error_and_no_stack()
    {
        var logs = new LogCapture();
        var behavior = new Behavior { Run = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior, logs);
        var id = await f.Client.EnqueueAsync("work", new Work(1));
        f.Start(f.Processor());
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler runs");

        (await f.Client.CancelAsync(id)).Should().Be(CancelResult.CancellationRequested);

        await Eventually.TrueAsync(async () => (await f.JobAsync(id)).State == JobState.Cancelled, "the job ends cancelled");
        // The handler's return and the interruption race; either way the cancel is written and logged once (2007).
        await Eventually.TrueAsync(() => behavior.Running == 0 && logs.WithId(2007).Any(), "the handler has returned and the cancel is logged");
        logs.Entries.Should().NotContain(e => e.Level >= LogLevel.Warning, "a cancel the user asked for is not a fault");
        logs.Entries.Should().NotContain(e => e.Exception != null, "an expected cancellation carries no stack trace");
        logs.WithId(2007).Should().ContainSingle().Which.Level.Should().Be(LogLevel.Information);
        logs.WithId(2004).Should().BeEmpty("the job is cancelled, not dead");
    }

    [Fact]
    public async Task Every_error_the_worker_writes_starts_with_its_message_and_keeps_the_stack_after_a_blank_line()
    {
        var logs = new LogCapture();
        var behavior = new Behavior { Run = (_, _) => throw new InvalidOperationException("flaky") };
        await using var f = Fixture(behavior, logs);
        var failing = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { MaxAttempts = 1 });
        var misfit = await f.Client.EnqueueJsonAsync("work", """{"n":"not a number"}""");

        await f.Processor().RunOnceAsync();

        var failed = await f.JobAsync(failing);
        failed.LastError.Should().StartWith("flaky\n\nSystem.InvalidOperationException: flaky");
        failed.LastError.Should().Contain(" at ", "the stack trace follows the message");
        var dead = await f.JobAsync(misfit);
        dead.LastError.Should().StartWith($"The payload of job {misfit} does not fit Work");
        dead.LastError.Should().Contain("\n\nSqliteQueue.PermanentJobFailureException: The payload of job").And.Contain("JsonException");
        (await f.Client.GetExecutionsAsync(misfit)).Should().ContainSingle().Which.Error.Should().Be(dead.LastError);

        // The dead-letter log line carries the message only; the exception itself went to the handler-failure line.
        logs.WithId(2004).Select(e => e.Message).Should().Contain(m => m.EndsWith("is dead: flaky", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_heartbeat_leaves_a_job_alone_once_its_handler_has_returned()
    {
        var logs = new LogCapture();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => release.Task };
        await using var f = Fixture(behavior, logs);
        var id = await f.Client.EnqueueAsync("work", new Work(1));
        var processor = f.Processor(o =>
        {
            o.LeaseDuration = TimeSpan.FromSeconds(30);
            o.HeartbeatInterval = TimeSpan.FromSeconds(10);
        });
        f.Start(processor);
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler runs");

        // Another connection holds the write lock, so the completion waits to be committed while the heartbeat beats.
        using (var other = f.Db.Raw())
        {
            using var lockTx = other.BeginTransaction();
            release.SetResult();
            await Eventually.TrueAsync(() => behavior.Running == 0, "the handler has returned");
            var beat = f.Time.GetUtcNow() + TimeSpan.FromSeconds(10);
            await Eventually.TrueAsync(() => f.Time.HasTimerDueAt(beat), "the heartbeat waits for its next beat");
            f.Time.Advance(TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => f.Time.HasTimerDueAt(beat + TimeSpan.FromSeconds(10)), "the heartbeat has beaten once");
            lockTx.Rollback();
        }

        await Eventually.TrueAsync(async () => (await f.JobAsync(id)).State == JobState.Completed, "the completion commits");
        (await f.Client.GetExecutionsAsync(id)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Completed);
        logs.Entries.Should().NotContain(e => e.EventId == 2005 || e.EventId == 2113, "no lease was lost");
        behavior.Cancelled.Should().BeEmpty("a finished handler's token never fires");
    }

    [Fact]
    public async Task Rescued_leases_are_logged_only_when_the_rescue_commits()
    {
        var logs = new LogCapture();
        await using var db = new TestDatabase();
        var queue = new SqliteJobQueue(db.Options(), db.Time, logs);
        try
        {
            await queue.Client.EnqueueManyAsync("t", [1, 2]);
            var crashed = queue.Create(new WorkerOptions { LeaseDuration = TimeSpan.FromSeconds(5) });
            (await crashed.ClaimAsync(2)).Should().HaveCount(2);
            db.Time.Advance(TimeSpan.FromSeconds(6));

            // This claim rescues both jobs, then fails: its transaction is rolled back, rescue included.
            var failing = queue.Create(new WorkerOptions { Strategy = new ThrowingStrategy() });
            await failing.Invoking(w => w.ClaimAsync()).Should().ThrowAsync<InvalidOperationException>();
            logs.WithId(2002).Should().BeEmpty("nothing was rescued in the end");
            (await queue.Client.GetStatsAsync()).For(QueueNames.Default).Running.Should().Be(2);

            (await queue.Create().ClaimAsync(2)).Should().HaveCount(2);
            logs.WithId(2002).Should().ContainSingle().Which.Message.Should().Contain(" 2 jobs");
        }
        finally
        {
            await queue.DisposeAsync();
        }
    }

    private sealed class ThrowingStrategy : ISchedulingStrategy
    {
        public string Name => "throwing";

        public bool UsesPriorityClasses => false;

        public ClaimPlan Plan(ClaimRequest request) => throw new InvalidOperationException("no plan today");
    }
}
