using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteQueue.Diagnostics;
using SqliteQueue.Internal.Processing;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Processing;

namespace SqliteQueue.Tests.Diagnostics;

/// <summary>The <c>process</c> span of each attempt: its attributes, its outcome, and how it relates to the span that enqueued the job.</summary>
[Collection(TracingCollection.Name)]
public sealed class ProcessSpanTests
{
    private static RuntimeFixture Fixture(Behavior behavior, Action<SqliteQueueOptions>? configure = null) => new(
        q => q.AddHandler<Work, WorkHandler>("work"),
        s => s.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>(),
        configure);

    private static Dictionary<string, object?> ProcessTags(string queue, long id, int attempt, int priority, string outcome) => Tag.Set(
        ("messaging.system", "sqlitequeue"),
        ("messaging.operation.name", "process"),
        ("messaging.operation.type", "process"),
        ("messaging.destination.name", queue),
        ("messaging.message.id", id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("sqlitequeue.job.type", "work"),
        ("sqlitequeue.job.attempt", attempt),
        ("sqlitequeue.job.priority", priority),
        ("sqlitequeue.job.outcome", outcome));

    [Fact]
    public async Task An_attempt_runs_its_handler_in_a_consumer_span_linked_to_the_send_span_and_not_its_child()
    {
        using var spans = new SpanRecorder();
        Activity? seenByHandler = null;
        var behavior = new Behavior
        {
            Run = (_, _) =>
            {
                seenByHandler = Activity.Current;
                return Task.CompletedTask;
            },
        };
        await using var f = Fixture(behavior);
        var queue = Tag.NewQueue();
        var id = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Queue = queue, Priority = 3 });

        await f.Processor(o => o.Queues = [queue]).RunOnceAsync();

        var send = spans.One($"send {queue}", queue);
        var process = spans.One($"process {queue}", queue);
        process.Kind.Should().Be(ActivityKind.Consumer);
        process.Status.Should().Be(ActivityStatusCode.Unset);
        Tag.Of(process).Should().BeEquivalentTo(ProcessTags(queue, id, attempt: 1, priority: 3, "completed"));
        var link = process.Links.Should().ContainSingle().Subject;
        link.Context.TraceId.Should().Be(send.TraceId);
        link.Context.SpanId.Should().Be(send.SpanId);
        process.TraceId.Should().NotBe(send.TraceId, "a linked span starts a trace of its own");
        process.ParentSpanId.Should().Be(default(ActivitySpanId));
        seenByHandler.Should().BeSameAs(process, "the handler runs inside its attempt's span");
        spans.Sampled.Should().ContainSingle(s => s.Name == $"process {queue}")
            .Which.Links.Should().ContainSingle("the sampler sees the link").Which.Context.SpanId.Should().Be(send.SpanId);
    }

    [Fact]
    public async Task Under_a_current_span_a_linked_attempt_is_that_span_s_child()
    {
        using var spans = new SpanRecorder();
        await using var f = Fixture(new Behavior());
        var queue = Tag.NewQueue();
        await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Queue = queue });

        using (var host = new Activity("host").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            await f.Processor(o => o.Queues = [queue]).RunOnceAsync();
            var process = spans.One($"process {queue}", queue);
            process.ParentSpanId.Should().Be(host.SpanId);
            process.TraceId.Should().Be(host.TraceId);
            process.Links.Should().ContainSingle().Which.Context.SpanId.Should().Be(spans.One($"send {queue}", queue).SpanId);
        }
    }

    [Fact]
    public async Task With_parent_parenting_the_attempt_continues_the_enqueuing_trace()
    {
        using var spans = new SpanRecorder();
        await using var f = Fixture(new Behavior(), o => o.Tracing.ProcessSpanParenting = SpanParenting.Parent);
        var queue = Tag.NewQueue();
        await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Queue = queue });

        await f.Processor(o => o.Queues = [queue]).RunOnceAsync();

        var send = spans.One($"send {queue}", queue);
        var process = spans.One($"process {queue}", queue);
        process.TraceId.Should().Be(send.TraceId);
        process.ParentSpanId.Should().Be(send.SpanId);
        process.Links.Should().BeEmpty();
    }

    [Fact]
    public async Task With_no_parenting_the_attempt_neither_links_nor_continues_the_enqueuing_trace()
    {
        using var spans = new SpanRecorder();
        await using var f = Fixture(new Behavior(), o => o.Tracing.ProcessSpanParenting = SpanParenting.None);
        var queue = Tag.NewQueue();
        await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Queue = queue });

        await f.Processor(o => o.Queues = [queue]).RunOnceAsync();

        var send = spans.One($"send {queue}", queue);
        var process = spans.One($"process {queue}", queue);
        process.TraceId.Should().NotBe(send.TraceId);
        process.ParentSpanId.Should().Be(default(ActivitySpanId));
        process.Links.Should().BeEmpty();
    }

    [Fact]
    public async Task A_failing_handler_marks_its_span_with_the_error_type_and_status_but_not_the_message()
    {
        using var spans = new SpanRecorder();
        var behavior = new Behavior { Run = (_, _) => throw new InvalidOperationException("card 4111 declined") };
        await using var f = Fixture(behavior);
        var queue = Tag.NewQueue();
        var retried = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Queue = queue });
        var dead = await f.Client.EnqueueAsync("work", new Work(2), new EnqueueOptions { Queue = queue, MaxAttempts = 1 });

        await f.Processor(o => o.Queues = [queue]).RunOnceAsync();

        var processes = spans.On(queue).Where(s => s.Kind == ActivityKind.Consumer).ToList();
        processes.Should().HaveCount(2);
        var expected = new Dictionary<long, string> { [retried] = "retry", [dead] = "dead" };
        foreach (var process in processes)
        {
            var id = long.Parse((string)process.GetTagItem("messaging.message.id")!, System.Globalization.CultureInfo.InvariantCulture);
            var tags = ProcessTags(queue, id, attempt: 1, priority: 0, expected[id]);
            tags["error.type"] = "System.InvalidOperationException";
            Tag.Of(process).Should().BeEquivalentTo(tags);
            process.Status.Should().Be(ActivityStatusCode.Error);
            process.StatusDescription.Should().BeNull();
            process.Events.Should().BeEmpty("no event may carry the message");
        }
    }

    [Fact]
    public async Task With_exception_messages_recorded_a_failed_span_carries_the_message_and_an_exception_event()
    {
        using var spans = new SpanRecorder();
        var behavior = new Behavior { Run = (_, _) => throw new InvalidOperationException("flaky") };
        await using var f = Fixture(behavior, o => o.Tracing.RecordExceptionMessages = true);
        var queue = Tag.NewQueue();
        await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Queue = queue });

        await f.Processor(o => o.Queues = [queue]).RunOnceAsync();

        var process = spans.One($"process {queue}", queue);
        process.Status.Should().Be(ActivityStatusCode.Error);
        process.StatusDescription.Should().Be("flaky");
        process.Events.Should().ContainSingle().Which.Name.Should().Be("exception");
        process.GetTagItem("error.type").Should().Be("System.InvalidOperationException");
    }

    [Fact]
    public async Task A_timed_out_attempt_ends_with_outcome_timeout_and_a_cancelled_one_with_outcome_cancelled()
    {
        using var spans = new SpanRecorder();
        var behavior = new Behavior { Run = (_, ct) => Task.Delay(Timeout.Infinite, ct) };
        await using var f = Fixture(behavior);
        var queue = Tag.NewQueue();
        var slow = await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Queue = queue, Timeout = TimeSpan.FromSeconds(5) });
        var stopped = await f.Client.EnqueueAsync("work", new Work(2), new EnqueueOptions { Queue = queue });

        var run = f.Processor(o => o.Queues = [queue]).RunOnceAsync();
        await Eventually.TrueAsync(() => behavior.Running == 2, "both handlers run");
        (await f.Client.CancelAsync(stopped)).Should().Be(CancelResult.CancellationRequested);
        f.Time.Advance(TimeSpan.FromSeconds(5));
        await run;

        var outcomes = spans.On(queue).Where(s => s.Kind == ActivityKind.Consumer)
            .ToDictionary(s => (string)s.GetTagItem("messaging.message.id")!, s => (s.GetTagItem("sqlitequeue.job.outcome"), s.GetTagItem("error.type"), s.Status));
        outcomes.Should().BeEquivalentTo(new Dictionary<string, (object?, object?, ActivityStatusCode)>
        {
            [slow.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ("timeout", "timeout", ActivityStatusCode.Error),
            [stopped.ToString(System.Globalization.CultureInfo.InvariantCulture)] = ("cancelled", null, ActivityStatusCode.Unset),
        });
    }

    [Fact]
    public async Task The_context_round_trips_through_the_file_to_another_store_on_it_as_another_process_would()
    {
        using var spans = new SpanRecorder();
        await using var f = Fixture(new Behavior());
        var queue = Tag.NewQueue();
        await f.Client.EnqueueAsync("work", new Work(1), new EnqueueOptions { Queue = queue });
        await f.Client.EnqueueAsync("work", new Work(2), new EnqueueOptions { Queue = queue });
        var sends = spans.On(queue).Where(s => s.Kind == ActivityKind.Producer).ToList();
        var other = f.Db.Open();

        // Its worker by hand sees the stored context; its processor links to it.
        var claimed = (await other.Create(new WorkerOptions { Queues = [queue] }).ClaimAsync()).Should().ContainSingle().Subject;
        claimed.TraceParent.Should().Be($"00-{sends[0].TraceId}-{sends[0].SpanId}-01");
        claimed.TraceState.Should().BeNull();
        var processor = new JobProcessor(
            other, f.Provider.GetRequiredService<HandlerRegistry>(), f.Provider.GetRequiredService<IServiceScopeFactory>(),
            new QueueWorkerOptions { WorkerId = "other", Queues = [queue] }, NullLoggerFactory.Instance);
        await processor.RunOnceAsync();

        var process = spans.One($"process {queue}", queue);
        var link = process.Links.Should().ContainSingle().Subject;
        link.Context.TraceId.Should().Be(sends[1].TraceId);
        link.Context.SpanId.Should().Be(sends[1].SpanId);
        link.Context.IsRemote.Should().BeTrue("the context was read from the file");
    }
}
