using System.Text.Json;
using SqliteQueue.Internal;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Validation;

public sealed class HostileInputTests
{
    private sealed record Note(string Text);

    private static readonly Dictionary<string, string> RawJson = new(StringComparer.Ordinal)
    {
        ["quotes"] = """{"text":"it's \"quoted\" `back`"}""",
        ["sql-injection"] = """{"sql":"'); DROP TABLE queue_jobs;--"}""",
        ["escaped-nul"] = "\"before\\u0000after\"",
        ["escaped-lone-surrogate"] = "\"\\uD800\"",
        ["emoji-10000"] = "\"" + HostileStrings.Get("emoji-10000") + "\"",
        ["rtl-zero-width"] = "\"" + HostileStrings.Get("rtl-zero-width") + "\"",
        ["combining"] = "[\"" + HostileStrings.Get("combining") + "\",\"" + HostileStrings.Get("non-bmp-cjk") + "\"]",
        ["whitespace"] = "  \r\n\t{  \"spaced\" : [ 1 , 2 ]  }\n  ",
        ["duplicate-keys"] = """{"a":1,"a":2}""",
        ["huge-number"] = "1e400",
        ["json-null"] = "null",
        ["deep-256"] = new string('[', 255) + new string(']', 255),
    };

    [Theory]
    [InlineData("quotes")]
    [InlineData("sql-injection")]
    [InlineData("sql-injection-double")]
    [InlineData("like-wildcards")]
    [InlineData("sql-comment")]
    [InlineData("emoji")]
    [InlineData("emoji-100")]
    [InlineData("rtl-zero-width")]
    [InlineData("arabic-hebrew")]
    [InlineData("combining")]
    [InlineData("non-bmp-cjk")]
    [InlineData("padded")]
    [InlineData("nbsp-inside")]
    [InlineData("unicode-replacement")]
    public async Task Hostile_name_round_trips_as_queue_type_key_worker_id_and_error(string name)
    {
        var value = HostileStrings.Get(name);
        await using var db = new TestDatabase();
        var decoy = await db.Client.EnqueueJsonAsync("decoy", "{}");
        var options = new EnqueueOptions { Queue = value, DeduplicationKey = value };
        var id = await db.Client.EnqueueAsync(value, new Note(value), options);
        (await db.Client.EnqueueAsync(value, new Note("again"), options)).Should().Be(id, "the key is held by a pending job");

        var job = (await db.Client.GetJobAsync(id))!;
        job.Queue.Should().Be(value, HostileStrings.Dump(job.Queue));
        job.Type.Should().Be(value);
        job.DeduplicationKey.Should().Be(value);
        JsonSerializer.Deserialize<Note>(job.PayloadJson, JsonSerializerOptions.Web)!.Text.Should().Be(value);

        (await db.Client.ListJobsAsync(new JobQuery { Queue = value, Type = value })).Jobs.Select(j => j.Id).Should().Equal(id);
        (await db.Client.ListJobsAsync(new JobQuery { Queue = value })).Jobs.Select(j => j.Id).Should().Equal(id);
        (await db.Client.ListJobsAsync(new JobQuery { Type = value, State = JobState.Pending })).Jobs.Select(j => j.Id).Should().Equal(id);
        (await db.Client.ListJobsAsync(new JobQuery { Queue = Variant(value, Guard.MaxNameLength) })).Jobs.Should().BeEmpty();
        (await db.Client.GetStatsAsync()).For(value).Pending.Should().Be(1);

        var worker = db.Worker(queues: [value], id: value);
        var first = (await worker.ClaimAsync(10)).Should().ContainSingle().Subject;
        first.Id.Should().Be(id);
        first.Queue.Should().Be(value);
        first.Type.Should().Be(value);
        first.GetPayload<Note>().Text.Should().Be(value);
        (await db.Client.GetJobAsync(id))!.LeaseOwner.Should().Be(value);

        (await worker.FailAsync(first, value)).State.Should().Be(JobState.Pending);
        (await db.Client.GetJobAsync(id))!.LastError.Should().Be(value);
        db.Time.Advance(TimeSpan.FromHours(2));
        var second = (await worker.ClaimAsync()).Should().ContainSingle().Subject;
        (await worker.CompleteAsync(second)).Should().BeTrue();
        await db.Client.WaitUntilIdleAsync(value);

        var executions = await db.Client.GetExecutionsAsync(id);
        executions.Should().HaveCount(2);
        executions.Should().OnlyContain(e => e.WorkerId == value);
        executions[0].Error.Should().Be(value);
        (await db.Client.GetJobAsync(decoy))!.State.Should().Be(JobState.Pending);
        AssertTablesIntact(db, jobs: 2);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("nul")]
    [InlineData("only-nul")]
    [InlineData("newline")]
    [InlineData("tab")]
    [InlineData("lone-high")]
    [InlineData("lone-low")]
    [InlineData("reversed-pair")]
    [InlineData("trailing-high")]
    [InlineData("emoji-10000")]
    [MemberData(nameof(HostileStrings.Blank), MemberType = typeof(HostileStrings))]
    public async Task Hostile_name_is_refused_everywhere_a_name_is_taken(string name)
    {
        var value = HostileStrings.Get(name);
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("decoy", "{}");

        var asType = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync(value, "{}"), "type");
        asType.Message.Should().Be(Rejection.WithParam(Errors.InvalidName("job type", value, Guard.MaxNameLength), "type"));
        var asQueue = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueAsync("t", new Note("x"), new EnqueueOptions { Queue = value }), "options.Queue");
        asQueue.Message.Should().Be(Rejection.WithParam(Errors.InvalidName("queue name", value, Guard.MaxNameLength), "options.Queue"));
        await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueManyAsync(value, new[] { new Note("x") }), "type");
        await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.ListJobsAsync(new JobQuery { Queue = value }), "query.Queue");
        await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.ListJobsAsync(new JobQuery { Type = value }), "query.Type");
        await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.WaitUntilIdleAsync(value), "queue");
        Rejection.ShouldReject<ArgumentException>(() => db.Queue.Create(new WorkerOptions { Queues = [value] }), "options.Queues");
        Rejection.ShouldReject<ArgumentException>(() => db.Queue.Create(new WorkerOptions { WorkerId = value }), "options.WorkerId");

        (await db.Client.GetStatsAsync()).Queues.Should().ContainSingle().Which.Pending.Should().Be(1);
        AssertTablesIntact(db, jobs: 1);
    }

    [Fact]
    public async Task Error_messages_show_a_long_hostile_name_cut_and_escaped()
    {
        await using var db = new TestDatabase();
        var value = HostileStrings.Get("emoji-10000");
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync(value, "{}"), "type", "(20000 characters)");
        exception.Message.Length.Should().BeLessThan(1000);
        exception.Message.Should().Contain("\\uD83D\\uDE00");
    }

    [Fact]
    public async Task Queue_filter_matches_names_exactly_not_as_patterns()
    {
        await using var db = new TestDatabase();
        var underscore = await db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { Queue = "a_c" });
        await db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { Queue = "abc" });
        await db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { Queue = "ABC" });
        await db.Client.EnqueueJsonAsync("t%", "{}", new EnqueueOptions { Queue = "a%" });

        (await db.Client.ListJobsAsync(new JobQuery { Queue = "a_c" })).Jobs.Select(j => j.Id).Should().Equal(underscore);
        (await db.Client.ListJobsAsync(new JobQuery { Queue = "%" })).Jobs.Should().BeEmpty();
        (await db.Client.ListJobsAsync(new JobQuery { Type = "%" })).Jobs.Should().BeEmpty();
        (await db.Client.ListJobsAsync(new JobQuery { Queue = "Abc" })).Jobs.Should().BeEmpty();
        (await db.Worker(queues: ["%"]).ClaimAsync(10)).Should().BeEmpty();
        (await db.Worker(queues: ["a_c"]).ClaimAsync(10)).Should().ContainSingle().Which.Id.Should().Be(underscore);
    }

    [Theory]
    [InlineData("quotes")]
    [InlineData("sql-injection")]
    [InlineData("like-wildcards")]
    [InlineData("newline")]
    [InlineData("tab")]
    [InlineData("emoji-500")]
    [InlineData("rtl-zero-width")]
    [InlineData("padded")]
    [InlineData("nbsp-inside")]
    [InlineData("combining")]
    public async Task Hostile_deduplication_key_round_trips_and_deduplicates_exactly(string name)
    {
        var key = HostileStrings.Get(name);
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { DeduplicationKey = key });
        (await db.Client.EnqueueJsonAsync("t", "[]", new EnqueueOptions { DeduplicationKey = key })).Should().Be(id);
        (await db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { DeduplicationKey = Variant(key, Guard.MaxKeyLength) })).Should().NotBe(id);
        (await db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { DeduplicationKey = key, Queue = "other" })).Should().NotBe(id);
        (await db.Client.GetJobAsync(id))!.DeduplicationKey.Should().Be(key);

        var worker = db.Worker();
        var claimed = await worker.ClaimAsync(10);
        claimed.Select(j => j.Id).Should().Contain(id);
        foreach (var job in claimed)
        {
            await worker.CompleteAsync(job);
        }

        (await db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { DeduplicationKey = key })).Should().NotBe(id, "the key is free once its job completed");
        AssertTablesIntact(db, jobs: 4);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("nul")]
    [InlineData("only-nul")]
    [InlineData("lone-high")]
    [InlineData("lone-low")]
    [InlineData("reversed-pair")]
    [InlineData("trailing-high")]
    [InlineData("emoji-10000")]
    [MemberData(nameof(HostileStrings.Blank), MemberType = typeof(HostileStrings))]
    public async Task Hostile_deduplication_key_is_refused_with_the_key_shown(string name)
    {
        var key = HostileStrings.Get(name);
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("decoy", "{}");
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { DeduplicationKey = key }), "options.DeduplicationKey");
        exception.Message.Should().Be(Rejection.WithParam(Errors.InvalidKey(key, Guard.MaxKeyLength), "options.DeduplicationKey"));
        AssertTablesIntact(db, jobs: 1);
    }

    [Theory]
    [InlineData("quotes")]
    [InlineData("sql-injection")]
    [InlineData("sql-injection-double")]
    [InlineData("nul")]
    [InlineData("only-nul")]
    [InlineData("newline")]
    [InlineData("emoji-10000")]
    [InlineData("rtl-zero-width")]
    [InlineData("arabic-hebrew")]
    [InlineData("combining")]
    [InlineData("non-bmp-cjk")]
    [InlineData("unicode-replacement")]
    [InlineData("empty")]
    public async Task Hostile_typed_payload_round_trips_unchanged(string name)
    {
        var value = HostileStrings.Get(name);
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("note", new Note(value));

        JsonSerializer.Deserialize<Note>((await db.Client.GetJobAsync(id))!.PayloadJson, JsonSerializerOptions.Web)!.Text.Should().Be(value);
        var listed = (await db.Client.ListJobsAsync(new JobQuery { Type = "note" })).Jobs.Should().ContainSingle().Subject;
        JsonSerializer.Deserialize<Note>(listed.PayloadJson, JsonSerializerOptions.Web)!.Text.Should().Be(value);
        var claimed = (await db.Worker().ClaimAsync()).Should().ContainSingle().Subject;
        claimed.GetPayload<Note>().Text.Should().Be(value, HostileStrings.Dump(claimed.GetPayload<Note>().Text));
        AssertTablesIntact(db, jobs: 1);
    }

    [Fact]
    public async Task Hostile_typed_payloads_round_trip_through_EnqueueManyAsync()
    {
        await using var db = new TestDatabase();
        var names = new[] { "quotes", "sql-injection", "nul", "emoji-10000", "rtl-zero-width", "combining" };
        var ids = await db.Client.EnqueueManyAsync("note", names.Select(n => new Note(HostileStrings.Get(n))));
        var claimed = await db.Worker().ClaimAsync(10);
        claimed.Select(j => j.Id).Should().Equal(ids);
        claimed.Select(j => j.GetPayload<Note>().Text).Should().Equal(names.Select(HostileStrings.Get));
        AssertTablesIntact(db, jobs: names.Length);
    }

    [Theory]
    [InlineData("lone-high")]
    [InlineData("lone-low")]
    [InlineData("reversed-pair")]
    [InlineData("trailing-high")]
    public async Task Typed_payload_with_lone_surrogate_is_refused_not_altered(string name)
    {
        var value = HostileStrings.Get(name);
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueAsync("note", new Note(value)), "payload");
        exception.Message.Should().StartWith(Errors.PayloadNotWellFormed);
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Theory]
    [InlineData("quotes")]
    [InlineData("sql-injection")]
    [InlineData("escaped-nul")]
    [InlineData("escaped-lone-surrogate")]
    [InlineData("emoji-10000")]
    [InlineData("rtl-zero-width")]
    [InlineData("combining")]
    [InlineData("whitespace")]
    [InlineData("duplicate-keys")]
    [InlineData("huge-number")]
    [InlineData("json-null")]
    [InlineData("deep-256")]
    public async Task Hostile_raw_json_payload_is_stored_exactly_as_given(string name)
    {
        var json = RawJson[name];
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueJsonAsync("raw", json);
        var many = await db.Client.EnqueueManyAsync([new NewJob("raw", json)]);

        (await db.Client.GetJobAsync(id))!.PayloadJson.Should().Be(json);
        (await db.Client.ListJobsAsync(new JobQuery { Type = "raw" })).Jobs.Should().HaveCount(2).And.OnlyContain(j => j.PayloadJson == json);
        var claimed = await db.Worker().ClaimAsync(2);
        claimed.Select(j => j.Id).Should().Equal(id, many[0]);
        claimed.Should().OnlyContain(j => j.PayloadJson == json);
        AssertTablesIntact(db, jobs: 2);
    }

    [Fact]
    public async Task Raw_json_with_a_lone_surrogate_is_refused()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("decoy", "{}");
        foreach (var name in new[] { "lone-high", "lone-low", "reversed-pair", "trailing-high" })
        {
            var json = "\"" + HostileStrings.Get(name) + "\"";
            var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync("raw", json), "payloadJson");
            exception.Message.Should().Be(Rejection.WithParam(Errors.PayloadNotWellFormed, "payloadJson"));
            await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueManyAsync([new NewJob("raw", json)]), "jobs[0].PayloadJson");
        }

        AssertTablesIntact(db, jobs: 1);
    }

    [Theory]
    [InlineData("\"a\0b\"")]
    [InlineData("{}\0")]
    [InlineData("\0")]
    [InlineData("\"line\nbreak\"")]
    [InlineData("'); DROP TABLE queue_jobs;--")]
    [InlineData("{\"a\":1}; DROP TABLE queue_jobs;--")]
    [InlineData("\"unterminated")]
    public async Task Raw_json_that_is_not_one_value_is_refused(string json)
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("decoy", "{}");
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync("raw", json), "payloadJson");
        exception.Message.Should().StartWith(Errors.PayloadNotJson(""));
        AssertTablesIntact(db, jobs: 1);
    }

    /// <summary>A different string of at most <paramref name="maxLength"/> characters.</summary>
    private static string Variant(string value, int maxLength) => value.Length + 1 > maxLength ? value[2..] : value + "x";

    private static void AssertTablesIntact(TestDatabase db, long jobs)
    {
        using var connection = db.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('queue_jobs', 'queue_executions');";
        ((long)command.ExecuteScalar()!).Should().Be(2, "both queue tables still exist");
        command.CommandText = "SELECT count(*) FROM queue_jobs;";
        ((long)command.ExecuteScalar()!).Should().Be(jobs);
        command.CommandText = "PRAGMA integrity_check;";
        ((string)command.ExecuteScalar()!).Should().Be("ok");
    }
}
