using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// A named lease in the file that one process at a time holds. Every new holder gets the next term, and every write
/// done under the lease checks owner, term and expiry inside its own transaction (<see cref="Check"/>), so a process
/// that stalled past its lease (a long GC pause, a stopped VM) can never act on it once another has taken over.
/// </summary>
internal sealed class MaintenanceLease(JobStore store, string name, string owner, TimeSpan duration)
{
    private long _term;

    public string Name => name;

    public string Owner => owner;

    /// <summary>Whether this process held the lease at its last acquire or renew.</summary>
    public bool Held => Volatile.Read(ref _term) != 0;

    /// <summary>Takes the lease if it is free or expired, or renews it if held; false when another process holds it.</summary>
    public async Task<bool> AcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var term = Volatile.Read(ref _term);
        var held = await store.WriteAsync(term, (s, tx, t) =>
        {
            var now = s.NowMs;
            var until = now + (long)duration.TotalMilliseconds;
            var c = tx.Connection!;
            if (t != 0 && c.Execute(new CommandDefinition(s.Sql[MaintenanceSql.RenewLease], new { name, owner, term = t, now, until }, tx)) == 1)
            {
                return t;
            }

            return c.ExecuteScalar<long?>(new CommandDefinition(s.Sql[MaintenanceSql.AcquireLease], new { name, owner, now, until }, tx)) ?? 0;
        }, cancellationToken).ConfigureAwait(false);
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
                var renewed = term != 0 && await store.WriteAsync(term, (s, tx, t) =>
                {
                    var now = s.NowMs;
                    return tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.RenewLease], new
                    {
                        name, owner, term = t, now, until = now + (long)duration.TotalMilliseconds,
                    }, tx)) == 1;
                }, stop).ConfigureAwait(false);
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

        await store.WriteAsync(term, (s, tx, t) =>
            tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.ReleaseLease], new { name, owner, term = t }, tx)),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws, undoing the caller's write, unless this process still holds the lease (inside a write transaction), and extends it.</summary>
    public void Check(JobStore s, SqliteTransaction tx)
    {
        var term = Volatile.Read(ref _term);
        // Checking also extends the lease, so a task of many short writes (a prune of millions of jobs) keeps it for as
        // long as it runs, and a process that stalled finds it gone at its next write.
        var now = s.NowMs;
        var holds = term != 0 && tx.Connection!.Execute(new CommandDefinition(
            s.Sql[MaintenanceSql.RenewLease], new { name, owner, term, now, until = now + (long)duration.TotalMilliseconds }, tx)) == 1;
        if (!holds)
        {
            Volatile.Write(ref _term, 0);
            throw new MaintenanceLeaseLostException(name);
        }
    }
}

/// <summary>The maintenance lease was lost (it expired and another process took it): the task stops where it is.</summary>
internal sealed class MaintenanceLeaseLostException(string lease)
    : Exception($"The '{lease}' lease was lost to another process; this process stops acting on it.");
