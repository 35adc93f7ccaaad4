using System.Diagnostics;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Diagnostics;

/// <summary>The <c>send</c> span of each enqueue call, and the trace context each job keeps in the file.</summary>
[Collection(TracingCollection.Name)]
public sealed class SendSpanTests
{
    [Fact]
    public async Task An_enqueue_makes_one_send_producer_span_with_every_attribute_and_the_job_keeps_its_context()
    {
        using var spans = new SpanRecorder();
        await using var db = new TestDatabase();
        var queue = Tag.NewQueue();

        var id = await db.Client.EnqueueAsync("report", new { n = 1 }, new EnqueueOptions { Queue = queue });

        var send = spans.On(queue).Should().ContainSingle().Subject;
        send.DisplayName.Should().Be($"send {queue}");
        send.Kind.Should().Be(ActivityKind.Producer);
        send.Status.Should().Be(ActivityStatusCode.Unset);
        send.ParentSpanId.Should().Be(default(ActivitySpanId), "nothing was current around the enqueue");
        Tag.Of(send).Should().BeEquivalentTo(Tag.Set(
            ("messaging.system", "sqlitequeue"),
            ("messaging.operation.name", "send"),
            ("messaging.operation.type", "send"),
            ("messaging.destination.name", queue),
            ("sqlitequeue.job.type", "report"),
            ("messaging.message.id", id.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        TraceColumns(db, id).Should().Be(($"00-{send.TraceId}-{send.SpanId}-01", null));
    }

    [Fact]
    public async Task A_batch_makes_one_span_with_its_size_and_every_job_shares_its_context_in_sixteen_row_statements_too()
    {
        using var spans = new SpanRecorder();
        await using var db = new TestDatabase();
        var queue = Tag.NewQueue();

        // 20 jobs: one sixteen-row statement, then four single rows.
        var ids = await db.Client.EnqueueManyAsync("report", Enumerable.Range(0, 20).Select(n => new { n }), new EnqueueOptions { Queue = queue });

        var send = spans.On(queue).Should().ContainSingle().Subject;
        send.DisplayName.Should().Be($"send {queue}");
        send.Kind.Should().Be(ActivityKind.Producer);
        Tag.Of(send).Should().BeEquivalentTo(Tag.Set(
            ("messaging.system", "sqlitequeue"),
            ("messaging.operation.name", "send"),
            ("messaging.operation.type", "send"),
            ("messaging.destination.name", queue),
            ("sqlitequeue.job.type", "report"),
            ("messaging.batch.message_count", 20)));
        foreach (var id in ids)
        {
            TraceColumns(db, id).Should().Be(($"00-{send.TraceId}-{send.SpanId}-01", null));
        }
    }

    [Fact]
    public async Task A_batch_over_several_queues_and_types_names_no_destination_and_no_type()
    {
        using var spans = new SpanRecorder();
        await using var db = new TestDatabase();
        var (a, b) = (Tag.NewQueue(), Tag.NewQueue());

        var ids = await db.Client.EnqueueManyAsync(
        [
            new NewJob("one", "{}", new EnqueueOptions { Queue = a }),
            new NewJob("two", "{}", new EnqueueOptions { Queue = b }),
        ]);

        var traceParent = TraceColumns(db, ids[0]).Parent;
        var send = spans.Spans.Should().ContainSingle(s => traceParent == $"00-{s.TraceId}-{s.SpanId}-01").Subject;
        send.DisplayName.Should().Be("send");
        Tag.Of(send).Should().BeEquivalentTo(Tag.Set(
            ("messaging.system", "sqlitequeue"),
            ("messaging.operation.name", "send"),
            ("messaging.operation.type", "send"),
            ("messaging.batch.message_count", 2)));
        TraceColumns(db, ids[1]).Parent.Should().Be(traceParent);
    }

    [Fact]
    public async Task The_send_span_is_a_child_of_the_current_span_and_the_job_keeps_the_trace_state()
    {
        using var spans = new SpanRecorder();
        await using var db = new TestDatabase();
        var queue = Tag.NewQueue();
        using var request = new Activity("request").SetIdFormat(ActivityIdFormat.W3C);
        request.TraceStateString = "vendor=abc";
        request.Start();

        var id = await db.Client.EnqueueAsync("report", new { n = 1 }, new EnqueueOptions { Queue = queue });
        request.Stop();

        var send = spans.On(queue).Should().ContainSingle().Subject;
        send.TraceId.Should().Be(request.TraceId);
        send.ParentSpanId.Should().Be(request.SpanId);
        TraceColumns(db, id).Should().Be(($"00-{send.TraceId}-{send.SpanId}-01", "vendor=abc"));
    }

    [Fact]
    public async Task A_failed_enqueue_marks_its_span_with_the_error_type_and_no_message()
    {
        using var spans = new SpanRecorder();
        await using var db = new TestDatabase();
        var queue = Tag.NewQueue();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await db.Client.Invoking(c => c.EnqueueAsync("report", new { n = 1 }, new EnqueueOptions { Queue = queue }, cancelled.Token))
            .Should().ThrowAsync<OperationCanceledException>();

        var send = spans.On(queue).Should().ContainSingle().Subject;
        send.Status.Should().Be(ActivityStatusCode.Error);
        send.StatusDescription.Should().BeNull();
        send.Events.Should().BeEmpty();
        send.GetTagItem("error.type").Should().Be(typeof(TaskCanceledException).FullName);
        send.GetTagItem("messaging.message.id").Should().BeNull();
    }

    [Fact]
    public async Task Without_a_listener_the_job_keeps_the_current_span_context_and_without_one_either_nothing()
    {
        await using var db = new TestDatabase();
        Activity.Current = null;

        var untraced = await db.Client.EnqueueAsync("report", new { n = 1 });
        using var request = new Activity("request").SetIdFormat(ActivityIdFormat.W3C).Start();
        var traced = await db.Client.EnqueueManyAsync("report", [new { n = 2 }, new { n = 3 }]);
        request.Stop();

        TraceColumns(db, untraced).Should().Be(((string?)null, (string?)null));
        foreach (var id in traced)
        {
            TraceColumns(db, id).Should().Be(($"00-{request.TraceId}-{request.SpanId}-00", null), "a request's trace still links to the jobs it enqueued");
        }
    }

    internal static (string? Parent, string? State) TraceColumns(TestDatabase db, long id)
    {
        using var connection = db.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT trace_parent, trace_state FROM queue_jobs WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        reader.Read().Should().BeTrue();
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }
}
