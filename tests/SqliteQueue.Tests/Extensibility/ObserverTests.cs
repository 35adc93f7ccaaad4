using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteQueue.Events;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Extensibility;

/// <summary>
/// The observers' plumbing: who is called, in what order, and what a failure does. Events are raised here through the
/// store's own <c>Raise</c>, as the queue's operations raise them (see <see cref="JobEventTests"/> for those).
/// </summary>
public sealed class ObserverTests
{
    private static JobEvent Event(long jobId = 1, JobEventKind kind = JobEventKind.Completed) =>
        new(kind, jobId, QueueNames.Default, "work", 1, new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)) { WorkerId = "w" };

    [Fact]
    public async Task An_observer_that_throws_is_logged_and_the_observers_after_it_are_still_called()
    {
        await using var db = new TestDatabase();
        var logs = new LogCapture();
        await using var queue = new SqliteJobQueue(db.Options(), db.Time, logs);
        var before = new RecordingObserver();
        var after = new RecordingObserver();
        using var first = queue.Subscribe(before);
        using var failing = queue.Subscribe(new ThrowingObserver());
        using var last = queue.Subscribe(after);

        queue.Store.Events.Raise(Event(42, JobEventKind.Dead));
        queue.Store.Events.Raise(Event(43));

        before.Events.Select(e => e.JobId).Should().Equal(42, 43);
        after.Events.Select(e => e.JobId).Should().Equal(42, 43);
        var logged = logs.WithId(2116).ToList();
        logged.Should().HaveCount(2);
        logged[0].Level.Should().Be(LogLevel.Warning);
        logged[0].Category.Should().Be("SqliteQueue.Events");
        logged[0].Message.Should().Be("Job observer ThrowingObserver threw on the Dead event of job 42 (work); the queue and the other observers go on");
        logged[0].Exception.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("observer bug");
    }

    [Fact]
    public async Task An_observer_in_the_container_may_depend_on_the_queue_client_and_is_resolved_once_at_the_first_event()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ActivityFeedLog>();
        await using var db = new TestDatabase();
        services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString).AddObserver<ActivityFeed>();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        var log = provider.GetRequiredService<ActivityFeedLog>();

        var client = provider.GetRequiredService<IQueueClient>();
        var queue = provider.GetRequiredService<SqliteJobQueue>();
        log.Created.Should().Be(0, "observers are resolved when the first event is raised, not with the queue");
        queue.Store.Events.HasObservers.Should().BeTrue();

        var id = await client.EnqueueAsync("work", new { n = 1 });
        log.Created.Should().Be(1, "the enqueue raised the first event");
        queue.Store.Events.Raise(Event(id));

        log.Created.Should().Be(1);
        log.Lines.Should().Equal($"work {id}: Enqueued, now pending", $"work {id}: Completed, now pending");
        provider.GetRequiredService<ActivityFeed>().Should().BeSameAs(log.Instance, "the observer is a singleton");
    }

    [Fact]
    public async Task Container_observers_are_called_in_registration_order_before_subscribers()
    {
        var calls = new List<string>();
        var services = new ServiceCollection();
        await using var db = new TestDatabase();
        services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString)
            .AddObserver(new NamedObserver("first", calls))
            .AddObserver(new NamedObserver("second", calls));
        services.AddSingleton<IJobObserver>(new NamedObserver("registered directly", calls));
        await using var provider = services.BuildServiceProvider();
        var queue = provider.GetRequiredService<SqliteJobQueue>();
        using var subscription = queue.Subscribe(new NamedObserver("subscriber", calls));

        queue.Store.Events.Raise(Event());
        queue.Store.Events.Raise(Event());

        calls.Should().Equal("first", "second", "registered directly", "subscriber", "first", "second", "registered directly", "subscriber");
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_its_calls_and_disposing_it_again_changes_nothing()
    {
        await using var db = new TestDatabase();
        var observer = new RecordingObserver();
        var other = new RecordingObserver();
        using var kept = db.Queue.Subscribe(other);
        var subscription = db.Queue.Subscribe(observer);
        var twice = db.Queue.Subscribe(observer);

        db.Queue.Store.Events.Raise(Event(1));
        subscription.Dispose();
        db.Queue.Store.Events.Raise(Event(2));
        subscription.Dispose();
        db.Queue.Store.Events.Raise(Event(3));
        twice.Dispose();
        db.Queue.Store.Events.Raise(Event(4));

        observer.Events.Select(e => e.JobId).Should().Equal(1, 1, 2, 3);
        other.Events.Select(e => e.JobId).Should().Equal(1, 2, 3, 4);
        kept.Dispose();
        db.Queue.Store.Events.HasObservers.Should().BeFalse();
    }

    [Fact]
    public async Task Without_observers_the_queue_has_none_to_call()
    {
        var services = new ServiceCollection();
        await using var db = new TestDatabase();
        services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString);
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<SqliteJobQueue>().Store.Events.HasObservers.Should().BeFalse();
    }

    [Fact]
    public async Task Observers_that_cannot_be_resolved_are_logged_once_and_subscribers_are_still_called()
    {
        var services = new ServiceCollection();
        var logs = new LogCapture();
        services.AddSingleton<ILoggerFactory>(logs);
        await using var db = new TestDatabase();
        services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString).AddObserver<UnbuildableObserver>();
        await using var provider = services.BuildServiceProvider();
        var queue = provider.GetRequiredService<SqliteJobQueue>();
        var subscriber = new RecordingObserver();
        using var subscription = queue.Subscribe(subscriber);

        queue.Store.Events.Raise(Event(1));
        queue.Store.Events.Raise(Event(2));

        subscriber.Events.Should().HaveCount(2);
        var logged = logs.WithId(2117).Should().ContainSingle().Subject;
        logged.Level.Should().Be(LogLevel.Error);
        logged.Exception.Should().BeOfType<InvalidOperationException>().Which.Message.Should().Be("cannot be built");
    }

    [Fact]
    public void Adding_an_observer_type_or_instance_twice_registers_it_once()
    {
        var services = new ServiceCollection();
        var instance = new RecordingObserver();
        services.AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db")
            .AddObserver<ActivityFeed>()
            .AddObserver<ActivityFeed>()
            .AddObserver(instance)
            .AddObserver(instance)
            .AddObserver(new RecordingObserver())
            .AddObserver<DerivedObserver>()
            .AddObserver<BaseObserver>();

        services.Count(d => d.ServiceType == typeof(IJobObserver)).Should().Be(5, "a derived observer's registration does not hide its base's");
        services.Should().ContainSingle(d => d.ServiceType == typeof(ActivityFeed));
    }

    [Fact]
    public async Task Null_observers_are_refused_naming_the_parameter()
    {
        await using var db = new TestDatabase();
        var builder = new ServiceCollection().AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db");

        builder.Invoking(b => b.AddObserver(null!)).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("observer");
        db.Queue.Invoking(q => q.Subscribe(null!)).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("observer");
    }
}

public class BaseObserver : IJobObserver
{
    public void OnJobEvent(JobEvent jobEvent)
    {
    }
}

public sealed class DerivedObserver : BaseObserver;

public sealed class ThrowingObserver : IJobObserver
{
    public void OnJobEvent(JobEvent jobEvent) => throw new InvalidOperationException("observer bug");
}

public sealed class NamedObserver(string name, List<string> calls) : IJobObserver
{
    public void OnJobEvent(JobEvent jobEvent) => calls.Add(name);
}

public sealed class UnbuildableObserver : IJobObserver
{
    public UnbuildableObserver() => throw new InvalidOperationException("cannot be built");

    public void OnJobEvent(JobEvent jobEvent)
    {
    }
}

public sealed class ActivityFeedLog
{
    private int _created;

    public int Created => Volatile.Read(ref _created);

    public ActivityFeed? Instance { get; private set; }

    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

    public void Add(ActivityFeed feed)
    {
        Interlocked.Increment(ref _created);
        Instance = feed;
    }
}

/// <summary>An activity feed that reads the job each event is about: it needs the client the queue provides.</summary>
public sealed class ActivityFeed : IJobObserver
{
    private readonly IQueueClient _client;
    private readonly ActivityFeedLog _log;

    public ActivityFeed(IQueueClient client, ActivityFeedLog log)
    {
        _client = client;
        _log = log;
        log.Add(this);
    }

    public void OnJobEvent(JobEvent jobEvent)
    {
        // Only in a test: an observer that reads the store should hand the event to a channel and read there.
        var job = _client.GetJobAsync(jobEvent.JobId).GetAwaiter().GetResult();
        _log.Lines.Enqueue($"{jobEvent.Type} {jobEvent.JobId}: {jobEvent.Kind}, now {job?.State.ToString().ToLowerInvariant()}");
    }
}
