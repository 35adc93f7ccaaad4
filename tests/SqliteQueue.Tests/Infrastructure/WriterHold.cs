using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Tests.Infrastructure;

/// <summary>Holds a store's writer inside a transaction until released, so the writes queued meanwhile form one group.</summary>
internal static class WriterHold
{
    /// <returns>The held write, which completes once <c>Release</c> is set, and the event that lets it go.</returns>
    public static async Task<(Task Blocker, ManualResetEventSlim Release)> HoldAsync(JobStore store)
    {
        var release = new ManualResetEventSlim(false);

        // Asynchronously: the test must not go on inside the held write, on the writer's thread.
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocker = Task.Run(() => store.WriteAsync(0, (_, _, _) =>
        {
            entered.SetResult();
            release.Wait();
            return 0;
        }, CancellationToken.None));
        await entered.Task;
        return (blocker, release);
    }
}
