using System.Diagnostics;
using Npgsql;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Maintenance;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// Maintenance's seam (<see cref="IMaintenanceStore"/>). Bulk changes walk the jobs table in windows of ids
/// (<see cref="WindowSweep"/>), one short transaction each, so they never hold many row locks for long. The lease is
/// a term-fenced compare-and-set on a row, so it holds across processes and behind a transaction pooler.
/// </summary>
internal sealed partial class PostgreSqlJobStore : IMaintenanceStore
{
    // Every process writes through its own pooled connections: no writer of this process's queues behind a sweep.
    public int WaitingWrites => 0;

    public Task<(long Min, long Max)?> ReadJobIdBoundsAsync(CancellationToken cancellationToken) =>
        ReadAsync(0, async (connection, _, ct) =>
        {
            var command = Command(PgSql.IdBounds, connection);
            await using (command.ConfigureAwait(false))
            {
                var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    await r.ReadAsync(ct).ConfigureAwait(false);
                    return r.IsDBNull(0) ? ((long, long)?)null : (r.GetInt64(0), r.GetInt64(1));
                }
            }
        }, cancellationToken);

    public Task<PruneWindow> PruneWindowAsync(PruneCutoffs cutoffs, long afterId, long toId, MaintenanceLease? fence, CancellationToken cancellationToken) =>
        WriteAsync((cutoffs, afterId, toId, fence), static async (tx, a, ct) =>
        {
            await CheckLeaseAsync(tx, a.fence, ct).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            long completed = 0, cancelled = 0, dead = 0;
            var delete = tx.Command(PgSql.PruneWindow).With(
                Params.Bigint("from", a.afterId),
                Params.Bigint("to", a.toId),
                Params.Bigint("completed_before", a.cutoffs.Completed),
                Params.Bigint("cancelled_before", a.cutoffs.Cancelled),
                Params.Bigint("dead_before", a.cutoffs.Dead));
            await using (delete.ConfigureAwait(false))
            {
                var r = await delete.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(ct).ConfigureAwait(false))
                    {
                        switch (r.GetString(0))
                        {
                            case States.Completed:
                                completed++;
                                break;
                            case States.Cancelled:
                                cancelled++;
                                break;
                            default:
                                dead++;
                                break;
                        }
                    }
                }
            }

            long? next;
            var after = tx.Command(PgSql.CreatedAtAfter).With(Params.Bigint("id", a.toId));
            await using (after.ConfigureAwait(false))
            {
                next = await after.ExecuteScalarAsync(ct).ConfigureAwait(false) as long?;
            }

            return new PruneWindow(completed, cancelled, dead, next is null || next > a.cutoffs.Latest, clock.Elapsed);
        }, cancellationToken);

    public Task PruneThroughputAsync(long beforeMinute, MaintenanceLease? fence, CancellationToken cancellationToken) =>
        WriteAsync((fence, beforeMinute), static async (tx, a, ct) =>
        {
            await CheckLeaseAsync(tx, a.fence, ct).ConfigureAwait(false);
            var command = tx.Command(PgSql.PruneThroughput).With(Params.Bigint("before_minute", a.beforeMinute));
            await using (command.ConfigureAwait(false))
            {
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    public async Task<long> RetryJobsAsync(JobFilter filter, CancellationToken cancellationToken)
    {
        var sweep = new WindowSweep();
        await sweep.RunAsync(this, filter, (f, from, to, ct) => WriteAsync((f, from, to), static async (tx, a, ct) =>
        {
            var clock = Stopwatch.StartNew();
            var state = States.ToText(a.f.State);
            var changed = 0;
            var command = tx.Command(PgSql.RetryWindow).With(FilterParameters(a.f, a.from, a.to));
            await using (command.ConfigureAwait(false))
            {
                var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(ct).ConfigureAwait(false))
                    {
                        var queue = r.GetString(0);
                        tx.Count(queue, state, -1);
                        tx.MakesDue(queue);
                        changed++;
                    }
                }
            }

            return new WindowSweep.Step(changed, false, clock.Elapsed);
        }, ct), cancellationToken).ConfigureAwait(false);
        return sweep.Changed;
    }

    public async Task<long> DeleteJobsAsync(JobFilter filter, CancellationToken cancellationToken)
    {
        var sweep = new WindowSweep();
        await sweep.RunAsync(this, filter, (f, from, to, ct) => WriteAsync((f, from, to), static async (tx, a, ct) =>
        {
            var clock = Stopwatch.StartNew();
            var command = tx.Command(PgSql.DeleteWindow).With(FilterParameters(a.f, a.from, a.to));
            await using (command.ConfigureAwait(false))
            {
                var changed = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                return new WindowSweep.Step(changed, false, clock.Elapsed);
            }
        }, ct), cancellationToken).ConfigureAwait(false);
        return sweep.Changed;
    }

    public Task<long> CountJobsAsync(JobFilter filter, CancellationToken cancellationToken) =>
        ReadAsync(filter, async (connection, f, ct) =>
        {
            var sql = f.State switch
            {
                JobState.Pending => PgSql.CountPendingJobs,
                JobState.Running => PgSql.CountRunningJobs,
                JobState.Completed => PgSql.CountCompletedJobs,
                JobState.Dead => f.Before is null ? PgSql.CountDeadJobs : PgSql.CountDeadJobsBefore,
                _ => PgSql.CountCancelledJobs,
            };
            var command = Command(sql, connection).With(Params.Text("queue", f.Queue), Params.Text("type", f.Type), Params.Bigint("before", BeforeMs(f)));
            await using (command.ConfigureAwait(false))
            {
                return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
        }, cancellationToken);

    public Task<long> DeleteJobsAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken) =>
        WriteAsync(ids.ToArray(), static async (tx, array, ct) =>
        {
            var command = tx.Command(PgSql.DeleteByIds).With(Params.BigintArray("ids", array));
            await using (command.ConfigureAwait(false))
            {
                return (long)await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    public Task<IReadOnlyList<long>> CancelRunningAsync(string queue, CancellationToken cancellationToken) =>
        WriteAsync(queue, static (tx, q, ct) => IdsAsync(tx.Command(PgSql.CancelRunningInQueue).With(Params.Text("queue", q)), ct), cancellationToken);

    public Task RecordRunAsync(string task, long startedAtMs, bool ok, string summary, string owner, CancellationToken cancellationToken) =>
        WriteAsync((task, startedAtMs, ok, summary, owner), static async (tx, a, ct) =>
        {
            var command = tx.Command(PgSql.RecordRun).With(
                Params.Text("task", a.task),
                Params.Bigint("started_at", a.startedAtMs),
                Params.Boolean("ok", a.ok),
                Params.Text("summary", a.summary),
                Params.Text("owner", a.owner));
            await using (command.ConfigureAwait(false))
            {
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    public Task<IReadOnlyList<MaintenanceRun>> ListRunsAsync(CancellationToken cancellationToken) =>
        ReadAsync(0, async (connection, _, ct) => (IReadOnlyList<MaintenanceRun>)await ListRunsAsync(connection, null, ct).ConfigureAwait(false), cancellationToken);

    public Task<long> AcquireOrRenewLeaseAsync(string name, string owner, long term, TimeSpan duration, CancellationToken cancellationToken) =>
        WriteAsync((name, owner, term, duration), static async (tx, a, ct) =>
        {
            if (a.term != 0 && await RenewLeaseAsync(tx, a.name, a.owner, a.term, a.duration, ct).ConfigureAwait(false))
            {
                return a.term;
            }

            var command = tx.Command(PgSql.AcquireLease).With(
                Params.Text("name", a.name), Params.Text("owner", a.owner), Params.Bigint("duration_ms", (long)a.duration.TotalMilliseconds));
            await using (command.ConfigureAwait(false))
            {
                return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long held ? held : 0;
            }
        }, cancellationToken);

    public Task<bool> RenewLeaseAsync(string name, string owner, long term, TimeSpan duration, CancellationToken cancellationToken) =>
        WriteAsync((name, owner, term, duration), static (tx, a, ct) => RenewLeaseAsync(tx, a.name, a.owner, a.term, a.duration, ct), cancellationToken);

    public Task ReleaseLeaseAsync(string name, string owner, long term, CancellationToken cancellationToken) =>
        WriteAsync((name, owner, term), static async (tx, a, ct) =>
        {
            var command = tx.Command(PgSql.ReleaseLease).With(Params.Text("name", a.name), Params.Text("owner", a.owner), Params.Bigint("term", a.term));
            await using (command.ConfigureAwait(false))
            {
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    /// <summary>
    /// Throws, undoing the caller's transaction, unless this process still holds <paramref name="fence"/>, and extends
    /// it: a task of many short writes keeps the lease for as long as it runs, and a process that stalled finds it gone
    /// at its next write. The renewal's row lock is held to the commit, so no other process can take the lease between
    /// the check and the write it fences.
    /// </summary>
    private static async Task CheckLeaseAsync(WriteTx tx, MaintenanceLease? fence, CancellationToken cancellationToken)
    {
        if (fence is null)
        {
            return;
        }

        var term = fence.Term;
        if (term == 0 || !await RenewLeaseAsync(tx, fence.Name, fence.Owner, term, fence.Duration, cancellationToken).ConfigureAwait(false))
        {
            throw fence.Lost();
        }
    }

    private static async Task<bool> RenewLeaseAsync(WriteTx tx, string name, string owner, long term, TimeSpan duration, CancellationToken cancellationToken)
    {
        var command = tx.Command(PgSql.RenewLease).With(
            Params.Text("name", name), Params.Text("owner", owner), Params.Bigint("term", term), Params.Bigint("duration_ms", (long)duration.TotalMilliseconds));
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
    }

    private async Task<List<MaintenanceRun>> ListRunsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var runs = new List<MaintenanceRun>();
        var command = Command(PgSql.ListRuns, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (r.ConfigureAwait(false))
            {
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    runs.Add(new MaintenanceRun(
                        r.GetString(0), Times.FromMs(r.GetInt64(1)), Times.FromMs(r.GetInt64(2)), r.GetBoolean(3), r.GetString(4), r.GetString(5)));
                }
            }
        }

        return runs;
    }

    private static NpgsqlParameter[] FilterParameters(JobFilter f, long from, long to) =>
    [
        Params.Bigint("from", from),
        Params.Bigint("to", to),
        Params.Text("state", States.ToText(f.State)),
        Params.Text("queue", f.Queue),
        Params.Text("type", f.Type),
        Params.Bigint("before", BeforeMs(f)),
    ];

    private static long? BeforeMs(JobFilter f) => f.Before is { } b ? Times.ToMs(b) : null;
}
