using SqliteQueue.Internal;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Validation;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Core;

/// <summary>JobQuery.CreatedAfter (inclusive) and CreatedBefore (exclusive) narrow every listing, state by state and page by page.</summary>
public sealed class ListJobsTimeFilterTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task ListJobsAsync_CreatedAfter_is_inclusive_and_CreatedBefore_exclusive()
    {
        await using var db = new TestDatabase();
        var t0 = db.Time.GetUtcNow();
        var first = await WaitingAsync(db.Client, 2);
        db.Time.Advance(Step);
        var t1 = db.Time.GetUtcNow();
        var second = await WaitingAsync(db.Client, 2);
        db.Time.Advance(Step);
        var t2 = db.Time.GetUtcNow();
        var third = await WaitingAsync(db.Client, 2);

        (await Ids(db, new JobQuery { CreatedAfter = t1 })).Should().Equal([.. second, .. third]);
        (await Ids(db, new JobQuery { CreatedBefore = t1 })).Should().Equal(first);
        (await Ids(db, new JobQuery { CreatedAfter = t1, CreatedBefore = t2 })).Should().Equal(second);
        (await Ids(db, new JobQuery { CreatedAfter = t0, CreatedBefore = t2 + Step })).Should().Equal([.. first, .. second, .. third]);
        (await Ids(db, new JobQuery { CreatedAfter = t2 + Step })).Should().BeEmpty();
        (await Ids(db, new JobQuery { CreatedBefore = t0 })).Should().BeEmpty();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(JobState.Pending)]
    [InlineData(JobState.Running)]
    [InlineData(JobState.Completed)]
    [InlineData(JobState.Dead)]
    [InlineData(JobState.Cancelled)]
    public async Task ListJobsAsync_honours_the_creation_window_in_every_state(JobState? state)
    {
        await using var db = new TestDatabase();
        var early = await EveryStateAsync(db);
        db.Time.Advance(Step);
        var cut = db.Time.GetUtcNow();
        var late = await EveryStateAsync(db);

        (await Ids(db, new JobQuery { State = state, CreatedBefore = cut })).Should().Equal(Of(early, state));
        (await Ids(db, new JobQuery { State = state, CreatedAfter = cut })).Should().Equal(Of(late, state));
        (await Ids(db, new JobQuery { State = state, CreatedAfter = cut, CreatedBefore = cut + Step })).Should().Equal(Of(late, state));
        (await Ids(db, new JobQuery { State = state, Queue = "other", CreatedAfter = cut })).Should().BeEmpty("the window adds to the other filters");
    }

    [Theory]
    [InlineData(null, 3)]
    [InlineData(JobState.Pending, 3)]
    [InlineData(JobState.Pending, 5)]
    [InlineData(JobState.Completed, 4)]
    public async Task ListJobsAsync_pages_through_a_creation_window_by_id(JobState? state, int limit)
    {
        await using var db = new TestDatabase();
        await PendingAndCompletedAsync(db, 10);
        db.Time.Advance(Step);
        var from = db.Time.GetUtcNow();
        var window = await PendingAndCompletedAsync(db, 10);
        db.Time.Advance(Step);
        var to = db.Time.GetUtcNow();
        await PendingAndCompletedAsync(db, 10);

        var pages = new List<IReadOnlyList<JobInfo>>();
        var query = new JobQuery { State = state, CreatedAfter = from, CreatedBefore = to, Limit = limit };
        while (true)
        {
            var page = await db.Client.ListJobsAsync(query);
            pages.Add(page.Jobs);
            if (page.NextAfterId is not { } next)
            {
                break;
            }

            query = new JobQuery { State = state, CreatedAfter = from, CreatedBefore = to, Limit = limit, AfterId = next };
        }

        var expected = Of(window, state);
        pages.SelectMany(p => p).Select(j => j.Id).Should().Equal(expected);
        pages.Should().AllSatisfy(p => p.Count.Should().BeLessThanOrEqualTo(limit));
        pages.Should().HaveCount((expected.Count / limit) + 1, "a full page is followed by another, empty or not");
        pages.SelectMany(p => p).Should().AllSatisfy(j => j.CreatedAt.Should().BeOnOrAfter(from).And.BeBefore(to));
    }

    [Fact]
    public async Task ListJobsAsync_refuses_CreatedAfter_equal_to_CreatedBefore()
    {
        await using var db = new TestDatabase();
        var at = new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.ListJobsAsync(new JobQuery { CreatedAfter = at, CreatedBefore = at }), "query.CreatedBefore", "2030-01-01T12:00:00.0000000+00:00");

        exception.Message.Should().Be(Rejection.WithParam(Errors.CreatedRangeEmpty(at, at), "query.CreatedBefore"));
    }

    [Fact]
    public async Task ListJobsAsync_refuses_CreatedAfter_later_than_CreatedBefore_showing_both()
    {
        await using var db = new TestDatabase();
        var after = new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero);
        var before = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.FromHours(2));

        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.ListJobsAsync(new JobQuery { CreatedAfter = after, CreatedBefore = before }), "query.CreatedBefore",
            "2030-01-02T00:00:00.0000000+00:00", "2030-01-01T00:00:00.0000000+02:00");

        exception.Message.Should().Be(Rejection.WithParam(
            "JobQuery.CreatedAfter (2030-01-02T00:00:00.0000000+00:00) must be earlier than JobQuery.CreatedBefore (2030-01-01T00:00:00.0000000+02:00), "
            + "or no job could match. Swap them, or leave one unset for an open-ended range.", "query.CreatedBefore"));
    }

    [Fact]
    public async Task ListJobsAsync_accepts_either_bound_alone_and_any_moment()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("t", "{}");

        (await db.Client.ListJobsAsync(new JobQuery { CreatedAfter = DateTimeOffset.MinValue })).Jobs.Should().ContainSingle();
        (await db.Client.ListJobsAsync(new JobQuery { CreatedBefore = DateTimeOffset.MaxValue })).Jobs.Should().ContainSingle();
        (await db.Client.ListJobsAsync(new JobQuery { CreatedAfter = DateTimeOffset.MinValue, CreatedBefore = DateTimeOffset.MaxValue })).Jobs.Should().ContainSingle();
    }

    private static async Task<List<long>> Ids(TestDatabase db, JobQuery query) =>
        [.. (await db.Client.ListJobsAsync(query)).Jobs.Select(j => j.Id)];

    private static List<long> Of(Dictionary<JobState, List<long>> jobs, JobState? state) =>
        [.. jobs.Where(p => state is null || p.Key == state).SelectMany(p => p.Value).Order()];

    /// <summary>Two jobs in each state on the default queue, created now.</summary>
    private static async Task<Dictionary<JobState, List<long>>> EveryStateAsync(TestDatabase db) => new()
    {
        [JobState.Completed] = await CompletedAsync(db.Queue, 2),
        [JobState.Dead] = await DeadAsync(db.Queue, 2),
        [JobState.Running] = [.. (await RunningAsync(db.Queue, 2, lease: TimeSpan.FromDays(1))).Select(j => j.Id)],
        [JobState.Cancelled] = await CancelledAsync(db.Client, 2),
        [JobState.Pending] = await WaitingAsync(db.Client, 2),
    };

    private static async Task<Dictionary<JobState, List<long>>> PendingAndCompletedAsync(TestDatabase db, int each) => new()
    {
        [JobState.Completed] = await CompletedAsync(db.Queue, each),
        [JobState.Pending] = await WaitingAsync(db.Client, each),
    };

    /// <summary>Pending jobs due long after the test ends, so later claims never take them.</summary>
    private static async Task<List<long>> WaitingAsync(IQueueClient client, int count)
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { Delay = TimeSpan.FromDays(30) }));
        }

        return ids;
    }
}
