using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Storage.Maintenance;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// The SQLite store's side of the maintenance seam (<see cref="IMaintenanceStore"/>). Bulk changes walk the jobs table
/// in windows (<see cref="WindowSweep"/>), one short write each, so they never hold the file's one write lock for long.
/// </summary>
internal sealed partial class JobStore : IMaintenanceStore
{
    public async Task<(long Min, long Max)?> ReadJobIdBoundsAsync(CancellationToken cancellationToken)
    {
        var (min, max) = await ReadAsync(0, static (s, c, _) =>
            c.QueryFirst<(long?, long?)>(new CommandDefinition(s.Sql[MaintenanceSql.IdBounds])), cancellationToken).ConfigureAwait(false);
        return min is { } lo && max is { } hi ? (lo, hi) : null;
    }

    public Task<PruneWindow> PruneWindowAsync(PruneCutoffs cutoffs, long afterId, long toId, MaintenanceLease? fence, CancellationToken cancellationToken) =>
        WriteAsync((cutoffs, afterId, toId, fence), static (s, tx, a) =>
        {
            s.CheckLease(tx, a.fence);
            var clock = Stopwatch.StartNew();
            long completed = 0, cancelled = 0, dead = 0;
            foreach (var state in tx.Connection!.Query<string>(new CommandDefinition(s.Sql[MaintenanceSql.PruneWindow], new
            {
                from = a.afterId, to = a.toId,
                completed_before = a.cutoffs.Completed, cancelled_before = a.cutoffs.Cancelled, dead_before = a.cutoffs.Dead,
            }, tx)))
            {
                if (state == States.Completed)
                {
                    completed++;
                }
                else if (state == States.Cancelled)
                {
                    cancelled++;
                }
                else
                {
                    dead++;
                }
            }

            var next = tx.Connection!.ExecuteScalar<long?>(new CommandDefinition(s.Sql[MaintenanceSql.CreatedAtAfter], new { id = a.toId }, tx));
            return new PruneWindow(completed, cancelled, dead, next is null || next > a.cutoffs.Latest, clock.Elapsed);
        }, null, cancellationToken);

    public Task PruneThroughputAsync(long beforeMinute, MaintenanceLease? fence, CancellationToken cancellationToken) =>
        WriteAsync((fence, beforeMinute), static (s, tx, a) =>
        {
            s.CheckLease(tx, a.fence);
            return tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.PruneThroughput], new { before_minute = a.beforeMinute }, tx));
        }, cancellationToken);

    public async Task<long> RetryJobsAsync(JobFilter filter, CancellationToken cancellationToken)
    {
        var sweep = new WindowSweep();
        await sweep.RunAsync(this, filter, (f, from, to, ct) => WriteAsync((f, from, to), static (s, tx, a) =>
        {
            var clock = Stopwatch.StartNew();
            s.Claims.ForgetClasses();
            var changed = 0;
            var state = States.ToText(a.f.State);
            foreach (var queue in tx.Connection!.Query<string>(new CommandDefinition(s.Sql[MaintenanceSql.RetryWindow], FilterParameters(a.f, a.from, a.to, s.NowMs), tx)))
            {
                s.Counts.Add(queue, state, -1);
                changed++;
            }

            return new WindowSweep.Step(changed, false, clock.Elapsed);
        }, AnyQueue, ct), cancellationToken).ConfigureAwait(false);
        return sweep.Changed;
    }

    public async Task<long> DeleteJobsAsync(JobFilter filter, CancellationToken cancellationToken)
    {
        var sweep = new WindowSweep();
        await sweep.RunAsync(this, filter, (f, from, to, ct) => WriteAsync((f, from, to), static (s, tx, a) =>
        {
            var clock = Stopwatch.StartNew();
            // A deleted pending job may have been the one a cached priority class stood for.
            s.Claims.ForgetClasses();
            var changed = tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.DeleteWindow], FilterParameters(a.f, a.from, a.to, s.NowMs), tx));
            return new WindowSweep.Step(changed, false, clock.Elapsed);
        }, null, ct), cancellationToken).ConfigureAwait(false);
        return sweep.Changed;
    }

    public Task<long> CountJobsAsync(JobFilter filter, CancellationToken cancellationToken) =>
        ReadAsync(filter, static (s, c, f) =>
        {
            var sql = s.Sql[f.State switch
            {
                JobState.Pending => MaintenanceSql.CountPendingJobs,
                JobState.Running => MaintenanceSql.CountRunningJobs,
                JobState.Completed => MaintenanceSql.CountCompletedJobs,
                JobState.Dead => f.Before is null ? MaintenanceSql.CountDeadJobs : MaintenanceSql.CountDeadJobsBefore,
                _ => MaintenanceSql.CountCancelledJobs,
            }];
            return c.ExecuteScalar<long>(new CommandDefinition(sql, new { queue = f.Queue, type = f.Type, before = BeforeMs(f) }));
        }, cancellationToken);

    public Task<long> DeleteJobsAsync(IReadOnlyList<long> ids, CancellationToken cancellationToken) =>
        WriteAsync(IdsJson(ids), static (s, tx, j) =>
        {
            s.Claims.ForgetClasses();
            return (long)tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.DeleteByIds], new { ids = j }, tx));
        }, cancellationToken);

    public async Task<IReadOnlyList<long>> CancelRunningAsync(string queue, CancellationToken cancellationToken) =>
        await WriteAsync(queue, static (s, tx, q) =>
            tx.Connection!.Query<long>(new CommandDefinition(s.Sql[MaintenanceSql.CancelRunningInQueue], new { queue = q }, tx)).AsList(),
            cancellationToken).ConfigureAwait(false);

    public Task RecordRunAsync(string task, long startedAtMs, bool ok, string summary, string owner, CancellationToken cancellationToken) =>
        WriteAsync((task, startedAtMs, ok, summary, owner), static (s, tx, a) =>
            tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.RecordRun], new
            {
                a.task,
                started_at = a.startedAtMs,
                finished_at = s.NowMs,
                ok = a.ok ? 1 : 0,
                a.summary,
                a.owner,
            }, tx)), cancellationToken);

    public async Task<IReadOnlyList<MaintenanceRun>> ListRunsAsync(CancellationToken cancellationToken) =>
        await ReadAsync(0, static (s, c, _) => s.ListRuns(c), cancellationToken).ConfigureAwait(false);

    public Task<long> AcquireOrRenewLeaseAsync(string name, string owner, long term, TimeSpan duration, CancellationToken cancellationToken) =>
        WriteAsync((name, owner, term, duration), static (s, tx, a) =>
        {
            var now = s.NowMs;
            var until = now + (long)a.duration.TotalMilliseconds;
            var c = tx.Connection!;
            if (a.term != 0 && c.Execute(new CommandDefinition(s.Sql[MaintenanceSql.RenewLease], new { a.name, a.owner, a.term, now, until }, tx)) == 1)
            {
                return a.term;
            }

            return c.ExecuteScalar<long?>(new CommandDefinition(s.Sql[MaintenanceSql.AcquireLease], new { a.name, a.owner, now, until }, tx)) ?? 0;
        }, cancellationToken);

    public Task<bool> RenewLeaseAsync(string name, string owner, long term, TimeSpan duration, CancellationToken cancellationToken) =>
        WriteAsync((name, owner, term, duration), static (s, tx, a) => s.RenewLease(tx, a.name, a.owner, a.term, a.duration), cancellationToken);

    public Task ReleaseLeaseAsync(string name, string owner, long term, CancellationToken cancellationToken) =>
        WriteAsync((name, owner, term), static (s, tx, a) =>
            tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.ReleaseLease], new { a.name, a.owner, a.term }, tx)),
            cancellationToken);

    /// <summary>Throws, undoing the caller's write, unless this process still holds <paramref name="fence"/> (inside a write transaction), and extends it.</summary>
    internal void CheckLease(SqliteTransaction tx, MaintenanceLease? fence)
    {
        if (fence is null)
        {
            return;
        }

        // Checking also extends the lease, so a task of many short writes (a prune of millions of jobs) keeps it for as
        // long as it runs, and a process that stalled finds it gone at its next write.
        var term = fence.Term;
        if (term == 0 || !RenewLease(tx, fence.Name, fence.Owner, term, fence.Duration))
        {
            throw fence.Lost();
        }
    }

    /// <summary>The last run of each maintenance task, on a connection already open.</summary>
    internal List<MaintenanceRun> ListRuns(SqliteConnection c) =>
        c.Query<RunRow>(new CommandDefinition(Sql[MaintenanceSql.ListRuns]))
            .Select(r => new MaintenanceRun(r.Task, Times.FromMs(r.StartedAt), Times.FromMs(r.FinishedAt), r.Ok != 0, r.Summary, r.Owner))
            .ToList();

    private bool RenewLease(SqliteTransaction tx, string name, string owner, long term, TimeSpan duration)
    {
        var now = NowMs;
        return tx.Connection!.Execute(new CommandDefinition(
            Sql[MaintenanceSql.RenewLease], new { name, owner, term, now, until = now + (long)duration.TotalMilliseconds }, tx)) == 1;
    }

    private static object FilterParameters(JobFilter f, long from, long to, long now) => new
    {
        from,
        to,
        now,
        state = States.ToText(f.State),
        queue = f.Queue,
        type = f.Type,
        before = BeforeMs(f),
    };

    private static long? BeforeMs(JobFilter f) => f.Before is { } b ? Times.ToMs(b) : null;

    private static string IdsJson(IReadOnlyList<long> ids)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < ids.Count; i++)
        {
            text.Append(i == 0 ? "" : ",").Append(ids[i].ToString(CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }

    private sealed class RunRow
    {
        public string Task { get; set; } = "";

        public long StartedAt { get; set; }

        public long FinishedAt { get; set; }

        public long Ok { get; set; }

        public string Summary { get; set; } = "";

        public string Owner { get; set; } = "";
    }
}
