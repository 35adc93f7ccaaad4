using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Data.Sqlite;
using SqliteQueue.Events;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Extensibility;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.Storage;

/// <summary>
/// A one-job enqueue that finds the writer free is written at once, alone in a transaction begun through the C API,
/// from a payload serialized into a buffer the thread reuses; otherwise it joins the group commit. Nothing of one
/// call (a failure, a cancellation, its bytes) reaches the next, and both paths store the same row.
/// </summary>
public sealed class WriteAloneTests
{
    public sealed record Small(string Text);

    /// <summary>Serializes its first property, then throws: the buffer holds half a payload when the call fails.</summary>
    public sealed class Exploding
    {
        private readonly string _first = new('a', 500);

        public string First => _first;

        public string Second => throw new InvalidOperationException($"boom after {_first.Length} characters");
    }

    private static string PayloadOf(TestDatabase db, long id)
    {
        using var connection = db.Raw();
        return (string)Scalar(connection, $"SELECT payload FROM queue_jobs WHERE id = {id};")!;
    }

    private static long JobCount(TestDatabase db)
    {
        using var connection = db.Raw();
        return Convert.ToInt64(Scalar(connection, "SELECT COUNT(*) FROM queue_jobs;"), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_payload_that_fails_to_serialize_halfway_leaves_nothing_for_the_next_enqueue()
    {
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();

        var act = () => db.Client.EnqueueAsync("t", new Exploding());

        (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("payload");
        var id = await db.Client.EnqueueAsync("t", new Small("x"));
        PayloadOf(db, id).Should().Be("""{"text":"x"}""");
        JobCount(db).Should().Be(1);
    }

    [Fact]
    public async Task A_payload_over_the_limit_is_refused_with_its_length_in_characters_and_the_next_enqueue_is_whole()
    {
        await using var db = new TestDatabase(configure: o =>
        {
            o.MaxPayloadLength = 40;
            o.JsonSerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };
        });

        // Written unescaped, 30 'é' are 60 bytes of UTF-8 but 41 characters of JSON with the braces and name: over 40.
        var over = () => db.Client.EnqueueAsync("t", new Small(new string('é', 30)));
        var overMany = () => db.Client.EnqueueManyAsync("t", [new Small(new string('é', 30))]);

        var refused = (await over.Should().ThrowAsync<ArgumentException>()).Which;
        refused.Message.Should().StartWith(Internal.Errors.PayloadTooLong(41, 40));
        (await overMany.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().StartWith(Internal.Errors.PayloadTooLong(41, 40));

        // 29 of them: 40 characters, accepted, though its 69 bytes are more than the limit.
        var id = await db.Client.EnqueueAsync("t", new Small(new string('é', 29)));
        PayloadOf(db, id).Should().Be($$"""{"text":"{{new string('é', 29)}}"}""");
        JobCount(db).Should().Be(1);
    }

    [Fact]
    public async Task A_write_that_fails_in_its_transaction_is_undone_and_the_next_writes_of_either_path_commit()
    {
        await using var db = new TestDatabase();
        var first = await db.Client.EnqueueAsync("t", new Small("first"));
        using (var connection = db.Raw())
        {
            Execute(connection, """
                CREATE TRIGGER refuse BEFORE INSERT ON queue_jobs WHEN NEW.type = 'refused'
                BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END;
                """);
        }

        var act = () => db.Client.EnqueueAsync("refused", new Small("no"));

        var failure = (await act.Should().ThrowAsync<SqliteQueueException>()).Which;
        failure.InnerException.Should().BeOfType<SqliteException>().Which.Message.Should().Contain("refused by trigger");
        JobCount(db).Should().Be(1);

        // No transaction was left open on the writer: a write through Microsoft.Data.Sqlite's own transaction and
        // one more direct write both commit, and another connection sees them.
        (await db.Client.CancelAsync(first)).Should().Be(CancelResult.Cancelled);
        var next = await db.Client.EnqueueAsync("t", new Small("next"));
        PayloadOf(db, next).Should().Be("""{"text":"next"}""");
        (await db.Client.GetJobAsync(first))!.State.Should().Be(JobState.Cancelled);
    }

    [Fact]
    public async Task A_cancelled_enqueue_writes_nothing_and_the_next_one_commits()
    {
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var act = () => db.Client.EnqueueAsync("t", new Small("never"), cancellationToken: cancelled.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        JobCount(db).Should().Be(0);
        var id = await db.Client.EnqueueAsync("t", new Small("after"));
        PayloadOf(db, id).Should().Be("""{"text":"after"}""");
    }

    [Fact]
    public async Task Deduplication_on_and_off_and_the_Enqueued_events_hold_for_direct_writes()
    {
        await using var db = new TestDatabase();
        var observer = new RecordingObserver();
        using var subscription = db.Queue.Subscribe(observer);

        var keyed = await db.Client.EnqueueAsync("t", new Small("a"), new EnqueueOptions { DeduplicationKey = "k" });
        var again = await db.Client.EnqueueAsync("t", new Small("b"), new EnqueueOptions { DeduplicationKey = "k" });
        var otherKey = await db.Client.EnqueueAsync("t", new Small("c"), new EnqueueOptions { DeduplicationKey = "k2" });
        var plain1 = await db.Client.EnqueueAsync("t", new Small("d"));
        var plain2 = await db.Client.EnqueueAsync("t", new Small("d"));

        again.Should().Be(keyed);
        new[] { keyed, otherKey, plain1, plain2 }.Should().OnlyHaveUniqueItems();
        JobCount(db).Should().Be(4);
        PayloadOf(db, keyed).Should().Be("""{"text":"a"}""", "the duplicate wrote nothing");
        observer.Events.Where(e => e.Kind == JobEventKind.Enqueued).Select(e => e.JobId)
            .Should().Equal(keyed, otherKey, plain1, plain2);
    }

    [Fact]
    public async Task The_trace_context_of_the_current_activity_is_stored_with_no_listener_on_the_queue()
    {
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();
        using var source = new ActivitySource("SqliteQueue.Tests.Outside");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var outer = source.StartActivity("request")!;
        outer.TraceStateString = "vendor=1";

        var id = await db.Client.EnqueueAsync("t", new Small("traced"));

        using var connection = db.Raw();
        Scalar(connection, $"SELECT trace_parent FROM queue_jobs WHERE id = {id};").Should().Be(outer.Id);
        Scalar(connection, $"SELECT trace_state FROM queue_jobs WHERE id = {id};").Should().Be("vendor=1");
    }

    [Fact]
    public async Task A_payload_is_stored_as_the_same_text_whether_serialized_to_bytes_or_to_a_string()
    {
        await using var db = new TestDatabase(configure: o => o.JsonSerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
        var payload = new Small("é ü 日本 😀 <tag> & 'quote' \"double\" \t tab \u2028");

        var direct = await db.Client.EnqueueAsync("t", payload);
        var batched = (await db.Client.EnqueueManyAsync("t", [payload])).Single();

        PayloadOf(db, direct).Should().Be(PayloadOf(db, batched)).And.Contain("\n", "the options' indentation is kept");
        JsonSerializer.Deserialize<Small>(PayloadOf(db, direct), JsonSerializerOptions.Web).Should().Be(payload);
    }

    [Fact]
    public async Task An_enqueue_behind_a_write_being_committed_joins_the_group_commit_with_its_payload_whole()
    {
        await using var db = new TestDatabase();
        var store = db.Queue.SqliteStore;
        await store.InitializeAsync(CancellationToken.None);
        var (blocker, release) = await WriterHold.HoldAsync(store);
        using var held = release;

        var queued = db.Client.EnqueueAsync("t", new Small("queued"));
        var alongside = await Task.Run(() => db.Client.EnqueueAsync("t", new Small("alongside")).IsCompleted);

        queued.IsCompleted.Should().BeFalse("the writer is busy: the enqueue waits for the next commit");
        alongside.Should().BeFalse();
        release.Set();
        await blocker.WaitAsync(Eventually.Bound);
        var id = await queued.WaitAsync(Eventually.Bound);
        PayloadOf(db, id).Should().Be("""{"text":"queued"}""");
        await Eventually.TrueAsync(() => JobCount(db) == 2, "the enqueue made alongside commits too");
    }

    [Fact]
    public async Task Enqueues_from_many_threads_each_store_their_own_payload()
    {
        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            var mine = new List<(long Id, string Text)>();
            for (var i = 0; i < 150; i++)
            {
                var text = $"thread {t} job {i} " + new string('x', (t * 37 + i) % 300);
                mine.Add((await db.Client.EnqueueAsync("t", new Small(text)), text));
            }

            return mine;
        })));

        var all = results.SelectMany(r => r).ToList();
        all.Select(r => r.Id).Should().OnlyHaveUniqueItems();
        using var connection = db.Raw();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT id, payload FROM queue_jobs;";
        var stored = new Dictionary<long, string>();
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                stored[reader.GetInt64(0)] = reader.GetString(1);
            }
        }

        stored.Should().HaveCount(all.Count);
        foreach (var (id, text) in all)
        {
            JsonSerializer.Deserialize<Small>(stored[id], JsonSerializerOptions.Web)!.Text.Should().Be(text);
        }
    }
}
