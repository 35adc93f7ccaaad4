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

    /// <summary>Throws, undoing the caller's write, unless this process still holds the lease (inside a write transaction).</summary>
    public void Check(JobStore s, SqliteTransaction tx)
    {
        var term = Volatile.Read(ref _term);
        var holds = term != 0 && tx.Connection!.ExecuteScalar<long>(new CommandDefinition(
            s.Sql[MaintenanceSql.HoldsLease], new { name, owner, term, now = s.NowMs }, tx)) != 0;
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
