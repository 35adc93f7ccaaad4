using System.Globalization;
using SqliteQueue.Internal;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Validation;

public sealed class EnqueueOptionsValidationTests
{
    private static Task<long> Enqueue(TestDatabase db, EnqueueOptions options) => db.Client.EnqueueJsonAsync("t", "{}", options);

    [Theory]
    [InlineData("empty")]
    [InlineData("nul")]
    [InlineData("only-nul")]
    [InlineData("newline")]
    [InlineData("tab")]
    [InlineData("lone-high")]
    [InlineData("lone-low")]
    [InlineData("trailing-high")]
    public async Task EnqueueAsync_rejects_bad_queue_name(string queue)
    {
        queue = HostileStrings.Get(queue);
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => Enqueue(db, new() { Queue = queue }), "options.Queue");
        exception.Message.Should().Be(Rejection.WithParam(Errors.InvalidName("queue name", queue, Guard.MaxNameLength), "options.Queue"));
        (await db.Client.GetStatsAsync()).Queues.Should().BeEmpty();
    }

    [Fact]
    public async Task EnqueueAsync_rejects_queue_name_longer_than_200_characters()
    {
        await using var db = new TestDatabase();
        var queue = new string('q', 201);
        await Rejection.ShouldRejectAsync<ArgumentException>(
            () => Enqueue(db, new() { Queue = queue }), "options.Queue", Errors.InvalidName("queue name", queue, Guard.MaxNameLength), "(201 characters)");
        (await Enqueue(db, new() { Queue = new string('q', 200) })).Should().BePositive();
    }

    [Fact]
    public async Task EnqueueAsync_shows_control_characters_of_a_bad_name_escaped()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => Enqueue(db, new() { Queue = "a\u0001b" }), "options.Queue");
        exception.Message.Should().Contain("'a\\u0001b'").And.NotContain("\u0001");
    }

    [Fact]
    public async Task EnqueueAsync_shows_invisible_characters_of_a_blank_name_escaped_and_says_a_visible_one_is_needed()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => Enqueue(db, new() { Queue = " \u00A0\u200B" }), "options.Queue");
        exception.Message.Should().Contain("at least one of them visible").And.Contain("got ' \\u00A0\\u200B'").And.NotContain("\u00A0");
    }

    [Fact]
    public async Task EnqueueAsync_shows_invisible_characters_of_a_blank_deduplication_key_escaped()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(() => Enqueue(db, new() { DeduplicationKey = "\t\uFEFF" }), "options.DeduplicationKey");
        exception.Message.Should().Contain("at least one of them visible").And.Contain("got '\\u0009\\uFEFF'");
    }

    [Theory]
    [InlineData(-1_000_001)]
    [InlineData(1_000_001)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public async Task EnqueueAsync_rejects_priority_outside_one_million(int priority)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => Enqueue(db, new() { Priority = priority }), "options.Priority", priority.ToString(CultureInfo.CurrentCulture));
    }

    [Theory]
    [InlineData(-1_000_000)]
    [InlineData(1_000_000)]
    public async Task EnqueueAsync_accepts_priority_at_the_limits(int priority)
    {
        await using var db = new TestDatabase();
        var id = await Enqueue(db, new() { Priority = priority });
        (await db.Client.GetJobAsync(id))!.Priority.Should().Be(priority);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-86_400_000)]
    public async Task EnqueueAsync_rejects_negative_delay(int milliseconds)
    {
        await using var db = new TestDatabase();
        var delay = TimeSpan.FromMilliseconds(milliseconds);
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => Enqueue(db, new() { Delay = delay }), "options.Delay", delay.ToString());
    }

    [Fact]
    public async Task EnqueueAsync_rejects_delay_longer_than_3650_days()
    {
        await using var db = new TestDatabase();
        var delay = TimeSpan.FromDays(3650) + TimeSpan.FromTicks(1);
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => Enqueue(db, new() { Delay = delay }), "options.Delay", delay.ToString());
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => Enqueue(db, new() { Delay = TimeSpan.MaxValue }), "options.Delay");
    }

    [Fact]
    public async Task EnqueueAsync_rejects_Delay_and_RunAt_together()
    {
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => Enqueue(db, new() { Delay = TimeSpan.FromMinutes(1), RunAt = db.Time.GetUtcNow() }), "options.Delay");
        exception.Message.Should().Be(Rejection.WithParam(Errors.DelayAndRunAt, "options.Delay"));
    }

    [Fact]
    public async Task EnqueueAsync_accepts_zero_delay_and_RunAt_in_the_past()
    {
        await using var db = new TestDatabase();
        var now = db.Time.GetUtcNow();
        var zero = await Enqueue(db, new() { Delay = TimeSpan.Zero });
        var past = await Enqueue(db, new() { RunAt = now.AddYears(-5) });
        (await db.Client.GetJobAsync(zero))!.RunAt.Should().Be(now);
        (await db.Worker().ClaimAsync(2)).Select(j => j.Id).Should().BeEquivalentTo([zero, past]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public async Task EnqueueAsync_rejects_MaxAttempts_outside_1_to_1000(int maxAttempts)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => Enqueue(db, new() { MaxAttempts = maxAttempts }), "options.MaxAttempts", "1 to 1000", maxAttempts.ToString(CultureInfo.CurrentCulture));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public async Task EnqueueAsync_accepts_MaxAttempts_at_the_limits(int maxAttempts)
    {
        await using var db = new TestDatabase();
        var id = await Enqueue(db, new() { MaxAttempts = maxAttempts });
        (await db.Client.GetJobAsync(id))!.MaxAttempts.Should().Be(maxAttempts);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-10_000_000L)]
    [InlineData(6_048_000_000_001L)]
    public async Task EnqueueAsync_rejects_timeout_zero_negative_or_beyond_7_days(long ticks)
    {
        await using var db = new TestDatabase();
        var timeout = TimeSpan.FromTicks(ticks);
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => Enqueue(db, new() { Timeout = timeout }), "options.Timeout", timeout.ToString());
    }

    [Fact]
    public async Task EnqueueAsync_accepts_timeout_of_7_days()
    {
        await using var db = new TestDatabase();
        var id = await Enqueue(db, new() { Timeout = TimeSpan.FromDays(7) });
        (await db.Client.GetJobAsync(id))!.Timeout.Should().Be(TimeSpan.FromDays(7));
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("nul")]
    [InlineData("only-nul")]
    [InlineData("lone-high")]
    [InlineData("lone-low")]
    [InlineData("reversed-pair")]
    public async Task EnqueueAsync_rejects_bad_deduplication_key(string key)
    {
        key = HostileStrings.Get(key);
        await using var db = new TestDatabase();
        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => Enqueue(db, new() { DeduplicationKey = key }), "options.DeduplicationKey");
        exception.Message.Should().Be(Rejection.WithParam(Errors.InvalidKey(key, Guard.MaxKeyLength), "options.DeduplicationKey"));
    }

    [Fact]
    public async Task EnqueueAsync_rejects_deduplication_key_longer_than_1000_characters()
    {
        await using var db = new TestDatabase();
        var key = new string('k', 1001);
        await Rejection.ShouldRejectAsync<ArgumentException>(
            () => Enqueue(db, new() { DeduplicationKey = key }), "options.DeduplicationKey", Errors.InvalidKey(key, Guard.MaxKeyLength), "(1001 characters)");
        var id = await Enqueue(db, new() { DeduplicationKey = new string('k', 1000) });
        (await db.Client.GetJobAsync(id))!.DeduplicationKey.Should().HaveLength(1000);
    }
}
