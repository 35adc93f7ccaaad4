using SqliteQueue.Internal;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Validation;

public sealed class QueueClientValidationTests
{
    private sealed record Payload(string Text);

    private sealed record Measured(double Value);

    [Theory]
    [InlineData("")]
    [InlineData("tab\there")]
    [InlineData("nul\0here")]
    [InlineData("\u007F")]
    public async Task EnqueueAsync_rejects_bad_job_type(string bad)
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueAsync(bad, new Payload("x")), "type");
        exception.Message.Should().Be(Rejection.WithParam(Errors.InvalidName("job type", bad, Guard.MaxNameLength), "type"));
        exception.Message.Should().Contain(Errors.Show(bad));
    }

    [Fact]
    public async Task EnqueueAsync_rejects_null_job_type()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentNullException>(
            () => db.Client.EnqueueAsync(null!, new Payload("x")), "type");
        exception.Message.Should().StartWith(Errors.InvalidName("job type", null, Guard.MaxNameLength));
    }

    [Fact]
    public async Task EnqueueAsync_rejects_job_type_longer_than_200_characters()
    {
        await using var db = new TestDatabase();
        var type = new string('t', 201);
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueAsync(type, new Payload("x")), "type", "(201 characters)");
        exception.Message.Should().StartWith(Errors.InvalidName("job type", type, Guard.MaxNameLength));
        (await db.Client.EnqueueAsync(new string('t', 200), new Payload("x"))).Should().BePositive();
    }

    [Fact]
    public async Task EnqueueAsync_rejects_payload_that_serializes_longer_than_MaxPayloadLength()
    {
        await using var db = new TestDatabase(configure: o => o.MaxPayloadLength = 20);
        var payload = new Payload(new string('x', 20));
        var json = $$"""{"text":"{{payload.Text}}"}""";
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueAsync("t", payload), "payload");
        exception.Message.Should().Be(Rejection.WithParam(Errors.PayloadTooLong(json.Length, 20), "payload"));
    }

    [Fact]
    public async Task EnqueueAsync_rejects_payload_that_cannot_be_serialized()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueAsync("t", new Measured(double.NaN)), "payload", "cannot be serialized", nameof(Measured));
    }

    [Fact]
    public async Task EnqueueJsonAsync_rejects_null_payload()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => db.Client.EnqueueJsonAsync("t", null!), "payloadJson");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("{\"a\":}")]
    [InlineData("undefined")]
    [InlineData("{'a':1}")]
    [InlineData("[1,]")]
    public async Task EnqueueJsonAsync_rejects_invalid_json(string payload)
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync("t", payload), "payloadJson");
        exception.Message.Should().StartWith(Errors.PayloadNotJson(""));
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Theory]
    [InlineData("1 2")]
    [InlineData("{} {}")]
    [InlineData("[1][2]")]
    [InlineData("\"a\" \"b\"")]
    [InlineData("null null")]
    public async Task EnqueueJsonAsync_rejects_two_json_values(string payload)
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync("t", payload), "payloadJson");
        exception.Message.Should().StartWith(Errors.PayloadNotJson(""));
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueJsonAsync_rejects_json_nested_deeper_than_256()
    {
        await using var db = new TestDatabase();
        var payload = new string('[', 300) + new string(']', 300);
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync("t", payload), "payloadJson");
        exception.Message.Should().StartWith(Errors.PayloadNotJson(""));
    }

    [Fact]
    public async Task EnqueueJsonAsync_rejects_payload_longer_than_MaxPayloadLength()
    {
        await using var db = new TestDatabase(configure: o => o.MaxPayloadLength = 10);
        var payload = "\"" + new string('x', 10) + "\"";
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync("t", payload), "payloadJson");
        exception.Message.Should().Be(Rejection.WithParam(Errors.PayloadTooLong(12, 10), "payloadJson"));
        (await db.Client.EnqueueJsonAsync("t", "\"" + new string('x', 8) + "\"")).Should().BePositive();
    }

    [Fact]
    public async Task EnqueueJsonAsync_rejects_bad_job_type()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueJsonAsync("", "{}"), "type");
        exception.Message.Should().StartWith(Errors.InvalidName("job type", "", Guard.MaxNameLength));
    }

    [Fact]
    public async Task EnqueueManyAsync_rejects_null_payload_list()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => db.Client.EnqueueManyAsync<Payload>("t", null!), "payloads");
    }

    [Fact]
    public async Task EnqueueManyAsync_rejects_bad_job_type()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueManyAsync("bad\ntype", new[] { new Payload("a") }), "type");
        exception.Message.Should().StartWith(Errors.InvalidName("job type", "bad\ntype", Guard.MaxNameLength));
        exception.Message.Should().Contain("bad\\u000Atype");
    }

    [Fact]
    public async Task EnqueueManyAsync_checks_type_and_options_even_for_an_empty_batch()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueManyAsync("bad\ntype", Array.Empty<Payload>()), "type");
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => db.Client.EnqueueManyAsync("t", Array.Empty<Payload>(), new EnqueueOptions { Priority = 2_000_000 }), "options.Priority", "2000000");
    }

    [Fact]
    public async Task EnqueueManyAsync_gives_every_job_of_the_batch_the_shared_options()
    {
        await using var db = new TestDatabase();
        var options = new EnqueueOptions { Queue = "mail", Priority = 3, MaxAttempts = 7, Delay = TimeSpan.FromMinutes(2), Timeout = TimeSpan.FromSeconds(9) };
        var ids = await db.Client.EnqueueManyAsync("t", new[] { new Payload("a"), new Payload("b"), new Payload("c") }, options);

        foreach (var (id, text) in ids.Zip(new[] { "a", "b", "c" }))
        {
            var job = (await db.Client.GetJobAsync(id))!;
            job.Queue.Should().Be("mail");
            job.Priority.Should().Be(3);
            job.MaxAttempts.Should().Be(7);
            job.Timeout.Should().Be(TimeSpan.FromSeconds(9));
            job.RunAt.Should().Be(db.Time.GetUtcNow() + TimeSpan.FromMinutes(2));
            job.PayloadJson.Should().Contain($"\"{text}\"");
        }
    }

    [Fact]
    public async Task EnqueueManyAsync_rejects_null_payload_element_and_adds_nothing()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueManyAsync("t", new[] { new Payload("a"), null }), "payloads", "1");
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueManyAsync_rejects_element_that_cannot_be_serialized_and_adds_nothing()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueManyAsync("t", new[] { new Measured(1), new Measured(double.PositiveInfinity) }), "payloads", "cannot be serialized");
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueManyAsync_rejects_element_longer_than_MaxPayloadLength_and_adds_nothing()
    {
        await using var db = new TestDatabase(configure: o => o.MaxPayloadLength = 20);
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueManyAsync("t", new[] { new Payload("a"), new Payload(new string('x', 30)) }), "payloads");
        exception.Message.Should().StartWith(Errors.PayloadTooLong(41, 20));
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueManyAsync_rejects_bad_options()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => db.Client.EnqueueManyAsync("t", new[] { new Payload("a") }, new EnqueueOptions { MaxAttempts = 0 }), "options.MaxAttempts", "0");
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_rejects_bad_type_and_options_of_an_element_and_adds_nothing()
    {
        await using var db = new TestDatabase();
        (await db.Client.Invoking(c => c.EnqueueManyAsync(new[] { new NewJob("t", "{}"), new NewJob("", "{}") }))
            .Should().ThrowAsync<ArgumentException>()).Which.Message.Should().StartWith(Errors.InvalidName("job type", "", Guard.MaxNameLength));
        (await db.Client.Invoking(c => c.EnqueueManyAsync(new[] { new NewJob("t", "{}", new EnqueueOptions { Priority = 2_000_000 }) }))
            .Should().ThrowAsync<ArgumentOutOfRangeException>()).Which.Message.Should().Contain("2000000");
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_rejects_null_list()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => db.Client.EnqueueManyAsync(null!), "jobs");
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_rejects_null_element_and_adds_nothing()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueManyAsync(new[] { new NewJob("t", "{}"), null! }), "jobs");
        exception.Message.Should().StartWith("jobs[1] is null.");
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_rejects_invalid_json_element_and_adds_nothing()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueManyAsync(new[] { new NewJob("t", "{}"), new NewJob("t", "{") }), "jobs[1].PayloadJson");
        exception.Message.Should().StartWith(Errors.PayloadNotJson(""));
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_rejects_null_json_element()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentNullException>(
            () => db.Client.EnqueueManyAsync(new[] { new NewJob("t", null!) }), "jobs[0].PayloadJson");
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_rejects_element_longer_than_MaxPayloadLength()
    {
        await using var db = new TestDatabase(configure: o => o.MaxPayloadLength = 10);
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueManyAsync(new[] { new NewJob("t", "[1,2,3,4,5,6]") }), "jobs[0].PayloadJson");
        exception.Message.Should().StartWith(Errors.PayloadTooLong(13, 10));
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_rejects_bad_job_type_naming_the_element()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.EnqueueManyAsync(new[] { new NewJob("t", "{}"), new NewJob("", "{}") }), "jobs[1].Type");
        exception.Message.Should().StartWith(Errors.InvalidName("job type", "", Guard.MaxNameLength));
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueManyAsync_of_new_jobs_rejects_bad_options_naming_the_element()
    {
        await using var db = new TestDatabase();
        var jobs = new[] { new NewJob("t", "{}"), new NewJob("t", "{}", new EnqueueOptions { Queue = "bad\u0001queue" }) };
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.EnqueueManyAsync(jobs), "jobs[1].Options.Queue");
        exception.Message.Should().StartWith(Errors.InvalidName("queue name", "bad\u0001queue", Guard.MaxNameLength));
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public async Task GetJobAsync_rejects_id_below_one(long id)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => db.Client.GetJobAsync(id), "jobId", id.ToString(System.Globalization.CultureInfo.CurrentCulture));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public async Task GetExecutionsAsync_rejects_id_below_one(long id)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => db.Client.GetExecutionsAsync(id), "jobId", id.ToString(System.Globalization.CultureInfo.CurrentCulture));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public async Task CancelAsync_rejects_id_below_one(long id)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => db.Client.CancelAsync(id), "jobId", id.ToString(System.Globalization.CultureInfo.CurrentCulture));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public async Task RetryAsync_rejects_id_below_one(long id)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => db.Client.RetryAsync(id), "jobId", id.ToString(System.Globalization.CultureInfo.CurrentCulture));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public async Task WaitForJobAsync_rejects_id_below_one(long id)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => db.Client.WaitForJobAsync(id), "jobId", id.ToString(System.Globalization.CultureInfo.CurrentCulture));
    }

    [Fact]
    public async Task Missing_job_ids_read_as_not_found_rather_than_throwing()
    {
        await using var db = new TestDatabase();
        (await db.Client.GetJobAsync(42)).Should().BeNull();
        (await db.Client.GetExecutionsAsync(42)).Should().BeEmpty();
        (await db.Client.CancelAsync(42)).Should().Be(CancelResult.NotFound);
        (await db.Client.RetryAsync(42)).Should().BeFalse();
    }

    [Fact]
    public async Task WaitForJobAsync_rejects_unknown_job_with_JobNotFoundException()
    {
        await using var db = new TestDatabase();
        (await db.Client.Invoking(c => c.WaitForJobAsync(42)).Should().ThrowAsync<JobNotFoundException>())
            .Which.Message.Should().Be(Errors.JobNotFound(42));
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("newline")]
    [InlineData("nul")]
    [InlineData("lone-high")]
    public async Task WaitUntilIdleAsync_rejects_bad_queue_name(string bad)
    {
        bad = HostileStrings.Get(bad);
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => db.Client.WaitUntilIdleAsync(bad), "queue");
        exception.Message.Should().Be(Rejection.WithParam(Errors.InvalidName("queue name", bad, Guard.MaxNameLength), "queue"));
    }

    [Fact]
    public async Task WaitUntilIdleAsync_rejects_null_queue_name()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => db.Client.WaitUntilIdleAsync(null!), "queue", "got null");
    }

    [Fact]
    public async Task ListJobsAsync_rejects_null_query()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => db.Client.ListJobsAsync(null!), "query");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    [InlineData(-5)]
    public async Task ListJobsAsync_rejects_limit_outside_1_to_1000(int limit)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => db.Client.ListJobsAsync(new JobQuery { Limit = limit }), "query.Limit", "1 to 1000", limit.ToString(System.Globalization.CultureInfo.CurrentCulture));
    }

    [Fact]
    public async Task ListJobsAsync_accepts_limit_1_and_1000()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("t", "{}");
        (await db.Client.ListJobsAsync(new JobQuery { Limit = 1 })).Jobs.Should().ContainSingle();
        (await db.Client.ListJobsAsync(new JobQuery { Limit = 1000 })).Jobs.Should().ContainSingle();
    }

    [Fact]
    public async Task ListJobsAsync_rejects_negative_AfterId()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => db.Client.ListJobsAsync(new JobQuery { AfterId = -1 }), "query.AfterId", "-1");
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("nul")]
    [InlineData("newline")]
    [InlineData("lone-low")]
    [InlineData("emoji-10000")]
    public async Task ListJobsAsync_rejects_bad_queue(string queue)
    {
        queue = HostileStrings.Get(queue);
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.ListJobsAsync(new JobQuery { Queue = queue }), "query.Queue");
        exception.Message.Should().StartWith(Errors.InvalidName("queue name", queue, Guard.MaxNameLength));
    }

    [Fact]
    public async Task ListJobsAsync_rejects_bad_type()
    {
        await using var db = new TestDatabase();
        var type = new string('x', 201);
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.ListJobsAsync(new JobQuery { Type = type }), "query.Type", "(201 characters)");
        exception.Message.Should().StartWith(Errors.InvalidName("job type", type, Guard.MaxNameLength));
    }

    [Fact]
    public async Task ListJobsAsync_rejects_unknown_state()
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => db.Client.ListJobsAsync(new JobQuery { State = (JobState)42 }), "query.State", "42");
    }
}
