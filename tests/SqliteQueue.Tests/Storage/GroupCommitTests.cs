using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Storage;

public sealed class GroupCommitTests
{
    private static JobInsert Job(string payload) => new("default", "t", payload, 0, 0, 3, null, null);

    /// <summary>Holds the writer inside a transaction until released, so the writes queued meanwhile form one group.</summary>
    private static async Task<(Task Blocker, ManualResetEventSlim Release)> BlockWriterAsync(JobStore store)
    {
        await store.InitializeAsync(CancellationToken.None);
        return await WriterHold.HoldAsync(store);
    }

    [Fact]
    public async Task A_failing_write_in_a_group_is_undone_alone_and_the_others_commit()
    {
        await using var db = new TestDatabase();
        var store = db.Queue.SqliteStore;
        var (blocker, release) = await BlockWriterAsync(store);

        var a = store.WriteAsync(0, (s, tx, _) => s.Insert(tx, Job("1"), 0), CancellationToken.None);
        var b = store.WriteAsync(0, (s, tx, _) =>
        {
            s.Insert(tx, Job("2"), 0);
            throw new InvalidOperationException("item b fails after writing");
#pragma warning disable CS0162 // The lambda needs a result type.
            return 0L;
#pragma warning restore CS0162
        }, CancellationToken.None);
        var c = store.WriteAsync(0, (s, tx, _) => s.Insert(tx, Job("3"), 0), CancellationToken.None);
        release.Set();
        await blocker;

        (await a).Should().BePositive();
        (await c).Should().BePositive();
        await b.Invoking(t => t).Should().ThrowAsync<InvalidOperationException>().WithMessage("item b fails after writing");
        var payloads = (await db.Client.ListJobsAsync(new JobQuery())).Jobs.Select(j => j.PayloadJson);
        payloads.Should().Equal("1", "3");
    }

    [Fact]
    public async Task Writes_queued_behind_a_commit_are_committed_together()
    {
        await using var db = new TestDatabase();
        var store = db.Queue.SqliteStore;
        var (blocker, release) = await BlockWriterAsync(store);

        // Each write reports which transaction object it ran in.
        var writes = Enumerable.Range(0, 20).Select(i => store.WriteAsync(i, (s, tx, n) =>
        {
            s.Insert(tx, Job(n.ToString(System.Globalization.CultureInfo.InvariantCulture)), 0);
            return tx.GetHashCode();
        }, CancellationToken.None)).ToList();
        release.Set();
        await blocker;

        var transactions = await Task.WhenAll(writes);
        transactions.Distinct().Should().ContainSingle("all twenty queued writes ran in one transaction");
        (await db.Client.GetStatsAsync()).For("default").Pending.Should().Be(20);
    }

    [Fact]
    public async Task Without_group_commit_each_write_has_its_own_transaction()
    {
        await using var db = new TestDatabase(configure: o => o.GroupCommit = false);
        var store = db.Queue.SqliteStore;
        var (blocker, release) = await BlockWriterAsync(store);

        var writes = Enumerable.Range(0, 5).Select(i => store.WriteAsync(i, (s, tx, n) =>
        {
            s.Insert(tx, Job("x"), 0);
            return tx.GetHashCode();
        }, CancellationToken.None)).ToList();
        release.Set();
        await blocker;

        (await Task.WhenAll(writes)).Distinct().Should().HaveCount(5);
    }

    [Fact]
    public async Task Many_threads_enqueueing_at_once_all_commit_with_unique_ids()
    {
        await using var db = new TestDatabase();

        var ids = await Task.WhenAll(Enumerable.Range(0, 2_000).Select(i => Task.Run(() => db.Client.EnqueueAsync("t", i))));

        ids.Should().OnlyHaveUniqueItems();
        (await db.Client.GetStatsAsync()).For("default").Pending.Should().Be(2_000);
    }
}
