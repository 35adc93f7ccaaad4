using SqliteQueue.Internal;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Core;

/// <summary>JobQuery.NewestFirst lists jobs in descending id order and pages back through JobPage.NextBeforeId.</summary>
public sealed class ListJobsNewestFirstTests
{
    [Fact]
    public async Task ListJobsAsync_NewestFirst_opens_on_the_newest_jobs_and_pages_back_through_NextBeforeId()
    {
        await using var db = new TestDatabase();
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await db.Client.EnqueueJsonAsync("t", $"{i}"));
        }

        var first = await db.Client.ListJobsAsync(new JobQuery { NewestFirst = true, Limit = 3 });
        first.Jobs.Select(j => j.Id).Should().Equal(ids[6], ids[5], ids[4]);
        first.NextBeforeId.Should().Be(ids[4]);
        first.NextAfterId.Should().BeNull("newest-first pages through NextBeforeId only");

        var second = await db.Client.ListJobsAsync(new JobQuery { NewestFirst = true, Limit = 3, BeforeId = first.NextBeforeId });
        second.Jobs.Select(j => j.Id).Should().Equal(ids[3], ids[2], ids[1]);
        second.NextBeforeId.Should().Be(ids[1]);

        var last = await db.Client.ListJobsAsync(new JobQuery { NewestFirst = true, Limit = 3, BeforeId = second.NextBeforeId });
        last.Jobs.Select(j => j.Id).Should().Equal(ids[0]);
        last.NextBeforeId.Should().BeNull();
        last.NextAfterId.Should().BeNull();
    }

    [Fact]
    public async Task ListJobsAsync_NewestFirst_ends_a_full_page_that_reached_the_lowest_id_without_a_cursor()
    {
        await using var db = new TestDatabase();
        var a = await db.Client.EnqueueJsonAsync("t", "1");
        var b = await db.Client.EnqueueJsonAsync("t", "2");
        a.Should().Be(1, "the first job of a new file takes id 1");

        var page = await db.Client.ListJobsAsync(new JobQuery { NewestFirst = true, Limit = 2 });

        page.Jobs.Select(j => j.Id).Should().Equal(b, a);
        page.NextBeforeId.Should().BeNull("no id below 1 is left, and BeforeId = 1 would be an empty window");
    }

    [Fact]
    public async Task ListJobsAsync_by_default_still_pages_oldest_first_through_NextAfterId()
    {
        await using var db = new TestDatabase();
        var ids = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await db.Client.EnqueueJsonAsync("t", $"{i}"));
        }

        var page = await db.Client.ListJobsAsync(new JobQuery { Limit = 3 });

        page.Jobs.Select(j => j.Id).Should().Equal(ids[0], ids[1], ids[2]);
        page.NextAfterId.Should().Be(ids[2]);
        page.NextBeforeId.Should().BeNull();
        new JobQuery().NewestFirst.Should().BeFalse();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(JobState.Pending)]
    [InlineData(JobState.Running)]
    [InlineData(JobState.Completed)]
    [InlineData(JobState.Dead)]
    [InlineData(JobState.Cancelled)]
    public async Task ListJobsAsync_NewestFirst_pages_to_the_end_with_the_other_filters(JobState? state)
    {
        await using var db = new TestDatabase();
        var all = new List<(long Id, string Queue, string Type, string Payload)>();
        for (var i = 0; i < 48; i++)
        {
            var queue = i % 3 == 0 ? "other" : QueueNames.Default;
            var type = i % 2 == 0 ? "t" : "u";
            var payload = $$"""{"tag":"{{(i % 4 == 0 ? "red" : "blue")}}","i":{{i}}}""";
            all.Add((await db.Client.EnqueueJsonAsync(type, payload, new EnqueueOptions { Queue = queue, MaxAttempts = 1 }), queue, type, payload));
        }

        // Put the default queue's jobs in every state: 8 completed, 8 dead, 8 left running, 4 cancelled, the rest pending.
        var worker = db.Worker();
        foreach (var job in await worker.ClaimAsync(8))
        {
            (await worker.CompleteAsync(job)).Should().BeTrue();
        }

        foreach (var job in await worker.ClaimAsync(8))
        {
            await worker.FailAsync(job, "boom", permanent: true);
        }

        await worker.ClaimAsync(8);
        foreach (var (id, _, _, _) in all.Where(j => j.Queue == "other").Take(4))
        {
            (await db.Client.CancelAsync(id)).Should().Be(CancelResult.Cancelled);
        }

        var states = new Dictionary<long, JobState>();
        foreach (var j in all)
        {
            states[j.Id] = (await db.Client.GetJobAsync(j.Id))!.State;
        }

        var queueFilter = state == JobState.Cancelled ? "other" : QueueNames.Default;
        var expected = all
            .Where(j => j.Queue == queueFilter && j.Type == "t" && j.Payload.Contains("\"blue\"", StringComparison.Ordinal))
            .Where(j => state is null || states[j.Id] == state)
            .Select(j => j.Id).OrderDescending().ToList();
        expected.Should().NotBeEmpty();

        var found = new List<long>();
        long? before = null;
        var pages = 0;
        while (true)
        {
            var page = await db.Client.ListJobsAsync(new JobQuery
            {
                NewestFirst = true, State = state, Queue = queueFilter, Type = "t", PayloadContains = "\"blue\"", Limit = 2, BeforeId = before,
            });
            pages++;
            page.Jobs.Should().HaveCountLessThanOrEqualTo(2);
            page.NextAfterId.Should().BeNull();
            found.AddRange(page.Jobs.Select(j => j.Id));
            if (page.NextBeforeId is not { } next)
            {
                break;
            }

            next.Should().Be(page.Jobs[^1].Id);
            before = next;
        }

        found.Should().Equal(expected);
        pages.Should().BeLessThanOrEqualTo((expected.Count / 2) + 1);
    }

    [Fact]
    public async Task ListJobsAsync_NewestFirst_keeps_AfterId_as_the_lower_bound()
    {
        await using var db = new TestDatabase();
        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await db.Client.EnqueueJsonAsync("t", $"{i}"));
        }

        var page = await db.Client.ListJobsAsync(new JobQuery { NewestFirst = true, AfterId = ids[1], BeforeId = ids[5], Limit = 10 });

        page.Jobs.Select(j => j.Id).Should().Equal(ids[4], ids[3], ids[2]);
        page.NextBeforeId.Should().BeNull();
    }
}
