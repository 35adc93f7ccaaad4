using SqliteQueue.Retry;
using SqliteQueue.Scheduling;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Scheduling;

/// <summary>
/// A WeightedRandom claim reuses the priority classes listed by an earlier claim. Each case adds a runnable class
/// in one way while such a list is kept, with the new class weighted so heavily that a claim which sees it takes
/// from it: the claim after must take from it, so a list kept past the change fails the case.
/// </summary>
public sealed class PriorityClassListTests
{
    private static readonly Dictionary<int, double> FavourOne = new() { [0] = 1, [1] = 1e12 };

    [Fact]
    public async Task A_class_another_connection_adds_is_drawn_at_the_next_claim()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 5));
        var worker = Worker(db);
        (await worker.ClaimAsync()).Single().Priority.Should().Be(0);

        var other = db.Open();
        await other.Client.EnqueueAsync("t", 99, new EnqueueOptions { Priority = 1 });

        (await worker.ClaimAsync()).Single().Priority.Should().Be(1);
    }

    [Fact]
    public async Task A_class_this_store_adds_is_drawn_at_the_next_claim()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 5));
        var worker = Worker(db);
        (await worker.ClaimAsync()).Single().Priority.Should().Be(0);

        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 20), new EnqueueOptions { Priority = 1 });

        (await worker.ClaimAsync()).Single().Priority.Should().Be(1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_delayed_class_is_drawn_once_due_within_the_lists_lifetime(bool enqueuedAfterListing)
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 5));
        var delayed = new EnqueueOptions { Priority = 1, Delay = TimeSpan.FromMilliseconds(300) };
        if (!enqueuedAfterListing)
        {
            await db.Client.EnqueueAsync("t", 99, delayed);
        }

        var worker = Worker(db);
        (await worker.ClaimAsync()).Single().Priority.Should().Be(0);
        if (enqueuedAfterListing)
        {
            await db.Client.EnqueueAsync("t", 99, delayed);
        }

        db.Time.Advance(TimeSpan.FromMilliseconds(299));
        (await worker.ClaimAsync()).Single().Priority.Should().Be(0, "the delayed job is not due yet");
        db.Time.Advance(TimeSpan.FromMilliseconds(1));
        (await worker.ClaimAsync()).Single().Priority.Should().Be(1);
    }

    [Fact]
    public async Task A_listed_class_that_ran_dry_does_not_make_the_claim_come_back_empty()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 5));
        var ones = await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 2), new EnqueueOptions { Priority = 1 });
        var worker = Worker(db);
        (await worker.ClaimAsync()).Single().Priority.Should().Be(1);

        // Cancelling the class's last runnable job tells the list nothing: the claim finds the class dry.
        (await db.Client.CancelAsync(ones[1])).Should().Be(CancelResult.Cancelled);

        (await worker.ClaimAsync()).Single().Priority.Should().Be(0);
        (await worker.ClaimAsync(4)).Should().HaveCount(4).And.OnlyContain(j => j.Priority == 0);
        (await worker.ClaimAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_released_job_in_a_class_the_list_lacks_is_drawn_at_the_next_claim()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 5));
        await db.Client.EnqueueAsync("t", 99, new EnqueueOptions { Priority = 1 });
        var worker = Worker(db);
        var one = (await worker.ClaimAsync()).Single();
        one.Priority.Should().Be(1);
        (await worker.ClaimAsync()).Single().Priority.Should().Be(0, "class 1 has run dry, and the list now lacks it");

        (await worker.ReleaseAsync(one)).Should().BeTrue();

        (await worker.ClaimAsync()).Single().Id.Should().Be(one.Id);
    }

    [Fact]
    public async Task A_failed_attempt_due_again_in_a_class_the_list_lacks_is_drawn()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueManyAsync("t", Enumerable.Range(0, 5));
        await db.Client.EnqueueAsync("t", 99, new EnqueueOptions { Priority = 1, MaxAttempts = 3 });
        var worker = db.Queue.Create(new WorkerOptions
        {
            Strategy = new WeightedRandomStrategy(FavourOne, random: new Random(5)),
            LeaseDuration = TimeSpan.FromHours(1),
            BackoffPolicy = new ExponentialBackoff(TimeSpan.Zero, TimeSpan.Zero),
        });
        var one = (await worker.ClaimAsync()).Single();
        one.Priority.Should().Be(1);
        (await worker.ClaimAsync()).Single().Priority.Should().Be(0);

        var failed = await worker.FailAsync(one, "boom");
        failed.State.Should().Be(JobState.Pending);
        failed.NextRunAt.Should().Be(db.Time.GetUtcNow(), "the retry is due at once");

        (await worker.ClaimAsync()).Single().Id.Should().Be(one.Id);
    }

    private static IWorker Worker(TestDatabase db) =>
        db.Worker(new WeightedRandomStrategy(FavourOne, random: new Random(5)), lease: TimeSpan.FromHours(1));
}
