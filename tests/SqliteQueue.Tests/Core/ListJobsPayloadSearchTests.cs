using SqliteQueue.Internal;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Validation;

namespace SqliteQueue.Tests.Core;

/// <summary>JobQuery.PayloadContains narrows every listing to jobs whose payload text contains a string, case-sensitively.</summary>
public sealed class ListJobsPayloadSearchTests
{
    [Fact]
    public async Task ListJobsAsync_PayloadContains_matches_the_text_as_written_and_case_sensitively()
    {
        await using var db = new TestDatabase();
        var alice = await db.Client.EnqueueJsonAsync("t", """{"to":"alice@example.com","n":1}""");
        var bob = await db.Client.EnqueueJsonAsync("t", """{"to":"bob@example.com","n":2}""");
        var upper = await db.Client.EnqueueJsonAsync("t", """{"to":"ALICE@example.com","n":3}""");
        var percent = await db.Client.EnqueueJsonAsync("t", """{"note":"100% done_ok"}""");

        (await Ids(db, new JobQuery { PayloadContains = "alice" })).Should().Equal(alice);
        (await Ids(db, new JobQuery { PayloadContains = "ALICE" })).Should().Equal(upper);
        (await Ids(db, new JobQuery { PayloadContains = "example.com" })).Should().Equal(alice, bob, upper);
        (await Ids(db, new JobQuery { PayloadContains = "\"to\":\"bob" })).Should().Equal([bob], "the JSON text is searched, quotes and keys included");
        (await Ids(db, new JobQuery { PayloadContains = "% done_" })).Should().Equal([percent], "% and _ are plain characters, not LIKE wildcards");
        (await Ids(db, new JobQuery { PayloadContains = "a%e" })).Should().BeEmpty();
        (await Ids(db, new JobQuery { PayloadContains = "carol" })).Should().BeEmpty();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(JobState.Pending)]
    [InlineData(JobState.Completed)]
    public async Task ListJobsAsync_PayloadContains_adds_to_the_other_filters_and_pages_by_id(JobState? state)
    {
        await using var db = new TestDatabase();
        var matching = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            var queue = i % 3 == 0 ? "other" : QueueNames.Default;
            var id = await db.Client.EnqueueJsonAsync(i % 2 == 0 ? "t" : "u", $$"""{"tag":"{{(i % 4 == 0 ? "red" : "blue")}}","i":{{i}}}""", new EnqueueOptions { Queue = queue });
            if (queue == QueueNames.Default && i % 4 != 0 && i % 2 == 0)
            {
                matching.Add(id);
            }
        }

        // Complete half of the default queue's jobs, so the state filter has something to tell apart.
        var worker = db.Worker();
        var completed = new List<long>();
        foreach (var job in await worker.ClaimAsync(4))
        {
            (await worker.CompleteAsync(job)).Should().BeTrue();
            completed.Add(job.Id);
        }

        var expected = state switch
        {
            JobState.Completed => matching.Where(completed.Contains).ToList(),
            JobState.Pending => matching.Where(id => !completed.Contains(id)).ToList(),
            _ => matching,
        };
        expected.Should().NotBeEmpty();

        var found = new List<long>();
        var query = new JobQuery { State = state, Queue = QueueNames.Default, Type = "t", PayloadContains = "\"blue\"", Limit = 1 };
        while (true)
        {
            var page = await db.Client.ListJobsAsync(query);
            page.Jobs.Should().HaveCountLessThanOrEqualTo(1);
            found.AddRange(page.Jobs.Select(j => j.Id));
            if (page.NextAfterId is not { } next)
            {
                break;
            }

            query = new JobQuery { State = state, Queue = QueueNames.Default, Type = "t", PayloadContains = "\"blue\"", Limit = 1, AfterId = next };
        }

        found.Should().Equal(expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\0b")]
    [InlineData(null)]
    public async Task ListJobsAsync_refuses_a_PayloadContains_that_is_empty_too_long_or_has_a_NUL(string? text)
    {
        await using var db = new TestDatabase();
        text ??= new string('x', 201);

        var exception = await Rejection.ShouldRejectAsync<ArgumentException>(
            () => db.Client.ListJobsAsync(new JobQuery { PayloadContains = text }), "query.PayloadContains");

        exception.Message.Should().Be(Rejection.WithParam(Errors.InvalidPayloadContains(text), "query.PayloadContains"));
    }

    [Fact]
    public async Task ListJobsAsync_accepts_a_PayloadContains_of_200_characters()
    {
        await using var db = new TestDatabase();
        var text = new string('x', 200);
        var id = await db.Client.EnqueueJsonAsync("t", $$"""{"s":"{{text}}"}""");

        (await Ids(db, new JobQuery { PayloadContains = text })).Should().Equal(id);
    }

    [Fact]
    public async Task ListJobsAsync_BeforeId_bounds_the_ids_read_and_an_empty_window_is_refused()
    {
        await using var db = new TestDatabase();
        var ids = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await db.Client.EnqueueJsonAsync("t", i % 2 == 0 ? """{"even":true}""" : "{}"));
        }

        (await Ids(db, new JobQuery { AfterId = ids[0], BeforeId = ids[4] })).Should().Equal(ids[1], ids[2], ids[3]);
        (await Ids(db, new JobQuery { AfterId = ids[0], BeforeId = ids[4], PayloadContains = "even" })).Should().Equal(ids[2]);
        (await Ids(db, new JobQuery { BeforeId = ids[2], State = JobState.Pending })).Should().Equal(ids[0], ids[1]);

        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => db.Client.ListJobsAsync(new JobQuery { AfterId = 5, BeforeId = 6 }), "query.BeforeId", "JobQuery.BeforeId (6) must be greater than JobQuery.AfterId + 1 (6)", "6");
    }

    private static async Task<List<long>> Ids(TestDatabase db, JobQuery query) =>
        [.. (await db.Client.ListJobsAsync(query)).Jobs.Select(j => j.Id)];
}
