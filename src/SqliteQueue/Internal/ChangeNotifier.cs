namespace SqliteQueue.Internal;

/// <summary>
/// Wakes waiters in this process when the store commits a change. Take <see cref="NextChange"/> before reading
/// the state you wait on, so a change between the read and the wait is not missed. <paramref name="notified"/>, when
/// given, runs after each notification, for what else must hear of it (other processes, through the wake-up file).
/// </summary>
/// <remarks>
/// The task to wait on is made when the first waiter asks for it, and a change with nobody waiting makes none: a
/// producer with no idle worker beside it (one task per enqueue otherwise) allocates nothing here.
/// </remarks>
internal sealed class ChangeNotifier(Action? notified = null)
{
    private TaskCompletionSource? _next;

    public Task NextChange
    {
        get
        {
            var next = Volatile.Read(ref _next);
            if (next is null)
            {
                var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                next = Interlocked.CompareExchange(ref _next, fresh, null) ?? fresh;
            }

            return next.Task;
        }
    }

    public void Notify()
    {
        if (Volatile.Read(ref _next) is not null)
        {
            Interlocked.Exchange(ref _next, null)?.TrySetResult();
        }

        notified?.Invoke();
    }
}
