namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// Runs work that is one long blocking statement (a backup copying a gigabyte, an integrity check reading every page) on
/// a thread of its own, so it does not hold a thread-pool thread for its whole run while the workers' continuations
/// queue behind it.
/// </summary>
internal static class DedicatedThread
{
    public static Task<T> RunAsync<T>(Func<Task<T>> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
}
