using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Wake;
using SqliteQueue.Tests.Diagnostics;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Processing;

namespace SqliteQueue.Tests.Wake;

/// <summary>
/// The wake-up file between stores of one file. A second store in this process stands in for another process: it
/// has its own writer, its own touch handle and its own watcher. The workers' clock never moves, so their poll never
/// runs: only the file's signal can wake them (the watcher's events come in real time, hence the bounded waits).
/// </summary>
public sealed class WakeFileTests
{
    private const string WriteBatches = "sqlitequeue.db.write.batch.size";

    private static RuntimeFixture Fixture(Behavior behavior, LogCapture? logs = null, Action<SqliteQueueOptions>? configure = null) => new(
        q => q.AddHandler<Work, WorkHandler>("work"),
        s => s.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>(),
        configure,
        logs);

    /// <summary>The worker has parked its claim and sleeps until its next poll: its watch, if any, is set up by then.</summary>
    private static Task WaitingAsync(RuntimeFixture f, JobStore store) => Eventually.TrueAsync(
        () => store.ParkedClaims == 1 && f.Time.HasTimerDueBy(f.Time.GetUtcNow() + TimeSpan.FromSeconds(1)),
        "the idle worker waits for its next poll");

    [Fact]
    public async Task An_enqueue_by_another_store_wakes_an_idle_worker_that_never_polls()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor());
        await WaitingAsync(f, store);

        var other = f.Db.Open();
        var id = await other.Client.EnqueueAsync("work", new Work(1));

        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        behavior.Seen.Select(j => j.JobId).Should().Equal(id);
        File.Exists(WakeFile.PathFor(f.Db.Path)).Should().BeTrue("the enqueuing store created the file to signal through");
    }

    [Fact]
    public async Task A_wake_with_nothing_due_reads_the_due_time_and_claims_nothing()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        using var metrics = new MetricRecorder(f.Queue);
        f.Start(f.Processor());
        await WaitingAsync(f, store);
        var writes = metrics.Of(WriteBatches).Count;
        var timers = f.Time.TimersCreated;
        var signals = store.Wake.SignalsSeen;
        var ignored = store.Wake.OwnTouchesIgnored;

        // This store's own signal, as after any of its enqueues: seen, and not passed on (its workers heard in-process).
        store.Wake.Touch();
        await Eventually.TrueAsync(() => store.Wake.OwnTouchesIgnored > ignored, "the watcher sees this store's own touch");
        store.Wake.SignalsSeen.Should().Be(signals, "a store's own touch wakes none of its workers");

        // Another store's signal with nothing due: the worker looks, finds nothing, and waits again.
        var other = f.Db.Open();
        await other.InitializeAsync();
        other.SqliteStore.Wake.Touch();
        await Eventually.TrueAsync(() => store.Wake.SignalsSeen > signals, "the watcher passes on another store's touch");
        await Eventually.TrueAsync(() => f.Time.TimersCreated > timers && store.ParkedClaims == 1, "the worker handled the signal and waits again");

        metrics.Of(WriteBatches).Should().HaveCount(writes, "a wake that finds nothing due costs a read, not a claim");
        behavior.Seen.Should().BeEmpty();

        // The same signal with a job due: the worker's read finds it and claims it.
        var id = await other.Client.EnqueueAsync("work", new Work(2));
        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task A_burst_of_touches_is_written_a_few_times_and_its_last_touch_still_reaches_a_watcher()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor());
        await WaitingAsync(f, store);
        var other = f.Db.Open();
        await other.InitializeAsync();
        var wake = other.SqliteStore.Wake;
        var before = wake.Writes;

        for (var n = 0; n < 1_000; n++)
        {
            wake.Touch();
        }

        (wake.Writes - before).Should().BeLessThan(1_000, "touches within a millisecond of a write share the next one");

        // The burst's last touch is written at the end of its gap at the latest: a job enqueued just before it is
        // seen by the watcher without a poll (the worker's clock never moves).
        var id = await other.Client.EnqueueAsync("work", new Work(3));
        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task An_unusable_wake_file_is_logged_once_each_way_and_the_poll_still_delivers()
    {
        var behavior = new Behavior();
        var logs = new LogCapture();
        await using var f = Fixture(behavior, logs);
        var store = f.Queue.SqliteStore;
        // A file where the wake-up file's folder should be: neither it nor the folder can be made.
        await File.WriteAllTextAsync(WakeFile.FolderFor(f.Db.Path), "in the way");
        f.Start(f.Processor());
        await WaitingAsync(f, store);
        var watched = logs.WithId(1009).Should().ContainSingle().Subject;
        watched.Level.Should().Be(LogLevel.Warning);
        watched.Message.Should().Be($"The wake-up file {WakeFile.PathFor(f.Db.Path)} of queue database {f.Db.Path} cannot be watched; this process's idle workers see other processes' jobs at their next poll instead");

        // This process's enqueues still reach its own worker at once (in the commit); signalling others fails, once.
        for (var n = 0; n < 2; n++)
        {
            var id = await f.Client.EnqueueAsync("work", new Work(n));
            (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        }

        logs.WithId(1010).Should().ContainSingle().Which.Message.Should().Contain("cannot be written");

        // Another store's job is seen at the next poll.
        await WaitingAsync(f, store);
        var late = await f.Db.Open().Client.EnqueueAsync("work", new Work(9));
        f.Time.Advance(TimeSpan.FromSeconds(1));
        (await f.Client.WaitForJobAsync(late).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);
        logs.WithId(1009).Should().ContainSingle();
        logs.WithId(1010).Should().ContainSingle();
    }

    [Fact]
    public async Task With_the_wake_off_no_file_is_made_and_nothing_is_watched()
    {
        var behavior = new Behavior();
        await using var f = Fixture(behavior, configure: o => o.CrossProcessWake = false);
        var store = f.Queue.SqliteStore;
        f.Start(f.Processor());
        await WaitingAsync(f, store);

        var id = await f.Client.EnqueueAsync("work", new Work(1));
        (await f.Client.WaitForJobAsync(id).WaitAsync(Eventually.Bound)).State.Should().Be(JobState.Completed);

        store.Wake.NextSignal().Should().BeNull();
        Directory.Exists(WakeFile.FolderFor(f.Db.Path)).Should().BeFalse();
    }

    [Fact]
    public async Task A_memory_database_has_no_wake_file()
    {
        var name = $"wake-{Guid.NewGuid():N}";
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={name};Mode=Memory;Cache=Shared" });
        await queue.Client.EnqueueAsync("work", new Work(1));

        queue.SqliteStore.Wake.NextSignal().Should().BeNull();
        Directory.Exists(name + WakeFile.Suffix).Should().BeFalse();
    }
}
