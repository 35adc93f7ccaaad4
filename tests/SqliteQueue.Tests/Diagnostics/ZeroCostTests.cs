using System.Diagnostics;
using SqliteQueue.Diagnostics;
using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Diagnostics;

/// <summary>With nothing listening, the diagnostics on the hot paths build nothing and allocate nothing.</summary>
[Collection(TracingCollection.Name)]
public sealed class ZeroCostTests
{
    [Fact]
    public async Task Without_listeners_or_observers_the_hot_path_diagnostics_allocate_nothing()
    {
        await using var db = new TestDatabase();
        var store = db.Queue.SqliteStore;
        var job = new ClaimedJob(1, "q", "t", "{}", 0, 1, 5, null, DateTimeOffset.UnixEpoch, 7, DateTimeOffset.UnixEpoch, new());
        Activity.Current = null;

        void HotPath()
        {
            QueueActivities.StartSend("q", "t", batchCount: null).Should().BeNull();
            QueueActivities.StartProcess(job, SpanParenting.Link).Should().BeNull();
            TraceContext.Capture(null).Should().Be(((string?)null, (string?)null));
            store.Metrics.Sent("q", 1, errorType: null);
            store.Metrics.ProcessEnabled.Should().BeFalse();
            store.Metrics.Waited(job, 1000);
            store.Metrics.Retried("q", "t");
            store.Metrics.LockWaitEnabled.Should().BeFalse();
            store.Metrics.WriteBatch(1);
            store.Events.HasObservers.Should().BeFalse();
        }

        HotPath();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            QueueActivities.StartSend("q", "t", batchCount: null);
            QueueActivities.StartProcess(job, SpanParenting.Link);
            TraceContext.Capture(null);
            store.Metrics.Sent("q", 1, errorType: null);
            store.Metrics.Waited(job, 1000);
            store.Metrics.Retried("q", "t");
            store.Metrics.WriteBatch(1);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }
}
