namespace SqliteQueue.Internal;

/// <summary>
/// Wakes waiters in this process when the store commits a change. Take <see cref="NextChange"/> before reading
/// the state you wait on, so a change between the read and the wait is not missed. <paramref name="notified"/>, when
/// given, runs after each notification, for what else must hear of it (other processes, through the wake-up file).
/// </summary>
internal sealed class ChangeNotifier(Action? notified = null)
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task NextChange => Volatile.Read(ref _next).Task;

    public void Notify()
    {
        var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _next, fresh).TrySetResult();
        notified?.Invoke();
    }
}
