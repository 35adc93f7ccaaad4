using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// A named lease in the store that one process at a time holds. Every new holder gets the next term, and every write
/// done under the lease checks owner, term and expiry inside its own transaction (a store's fenced write), so a process
/// that stalled past its lease (a long GC pause, a stopped VM) can never act on it once another has taken over.
/// </summary>
internal sealed class MaintenanceLease(IMaintenanceStore store, string name, string owner, TimeSpan duration)
{
    private long _term;

    public string Name => name;

    public string Owner => owner;

    public TimeSpan Duration => duration;

    /// <summary>The term a fenced write must find this process still holding; 0 when it holds none.</summary>
    public long Term => Volatile.Read(ref _term);

    /// <summary>Whether this process held the lease at its last acquire or renew.</summary>
    public bool Held => Volatile.Read(ref _term) != 0;

    /// <summary>Takes the lease if it is free or expired, or renews it if held; false when another process holds it.</summary>
    public async Task<bool> AcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var term = Volatile.Read(ref _term);
        var held = await store.AcquireOrRenewLeaseAsync(name, owner, term, duration, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _term, held);
        return held != 0;
    }

    /// <summary>
    /// Renews the lease every <paramref name="every"/> until the returned handle is disposed: for a task that is one long
    /// statement (a backup, an integrity check), which has no transaction of its own between steps to renew it in.
    /// </summary>
    public IAsyncDisposable KeepAlive(TimeSpan every)
    {
        var stop = new CancellationTokenSource();
        var loop = KeepAliveAsync(every, stop.Token);
        return new Keeper(stop, loop);
    }

    private async Task KeepAliveAsync(TimeSpan every, CancellationToken stop)
    {
        try
        {
            while (Held)
            {
                await Task.Delay(every, store.Time, stop).ConfigureAwait(false);
                var term = Volatile.Read(ref _term);
                var renewed = term != 0 && await store.RenewLeaseAsync(name, owner, term, duration, stop).ConfigureAwait(false);
                if (!renewed)
                {
                    Interlocked.CompareExchange(ref _term, 0, term);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The task ended.
        }
        catch (Exception ex) when (ex is SqliteQueueException or ObjectDisposedException)
        {
            // The task's own writes check the lease; a renewal that cannot be written leaves it to expire.
        }
    }

    private sealed class Keeper(CancellationTokenSource stop, Task loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(false);
            stop.Dispose();
        }
    }

    /// <summary>Lets another process take over at once (a graceful stop).</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        var term = Interlocked.Exchange(ref _term, 0);
        if (term == 0)
        {
            return;
        }

        await store.ReleaseLeaseAsync(name, owner, term, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Throws unless this process still holds the lease, in a write of its own, and extends it: for work outside the
    /// store (deleting old backup files) that only the holder may do.
    /// </summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var term = Volatile.Read(ref _term);
        if (term == 0 || !await store.RenewLeaseAsync(name, owner, term, duration, cancellationToken).ConfigureAwait(false))
        {
            throw Lost();
        }
    }

    /// <summary>
    /// Marks the lease lost and returns the exception to throw: called by a fenced write that found the lease gone, so
    /// the write is undone and this process stops acting on the lease.
    /// </summary>
    public MaintenanceLeaseLostException Lost()
    {
        Volatile.Write(ref _term, 0);
        return new MaintenanceLeaseLostException(name);
    }
}

/// <summary>The maintenance lease was lost (it expired and another process took it): the task stops where it is.</summary>
internal sealed class MaintenanceLeaseLostException(string lease)
    : Exception($"The '{lease}' lease was lost to another process; this process stops acting on it.");
