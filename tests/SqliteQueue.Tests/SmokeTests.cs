using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests;

public sealed class SmokeTests
{
    [Fact]
    public async Task Enqueue_claim_complete_round_trip()
    {
        await using var db = new TestDatabase();
        var id = await db.Client.EnqueueAsync("email.send", new { To = "a@b.c" });
        var worker = db.Worker();
        var jobs = await worker.ClaimAsync(4);
        jobs.Should().ContainSingle().Which.Id.Should().Be(id);
        jobs[0].Attempt.Should().Be(1);
        (await worker.CompleteAsync(jobs[0])).Should().BeTrue();
        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Completed);
        var fail = await worker.FailAsync(jobs[0], "x");
        fail.Applied.Should().BeFalse();
        (await db.Client.GetExecutionsAsync(id)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Completed);
    }
}
