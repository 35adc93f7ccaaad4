using System.Globalization;
using System.Text;
using Dapper;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Maintenance;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>Retries and deletes of many jobs, each in windows (see <see cref="WindowSweep"/>) or chunks of ids.</summary>
internal static class BulkJobs
{
    private const int IdsPerChunk = 500;
    public const int MaxIds = 1_000_000;

    public static async Task<long> RetryAsync(JobStore store, JobFilter filter, CancellationToken cancellationToken)
    {
        var sweep = new WindowSweep();
        await sweep.RunAsync(store, filter, static (s, tx, f, from, to) =>
        {
            s.Claims.ForgetClasses();
            var changed = 0;
            var state = States.ToText(f.State);
            foreach (var queue in tx.Connection!.Query<string>(new CommandDefinition(s.Sql[MaintenanceSql.RetryWindow], Parameters(f, from, to, s.NowMs), tx)))
            {
                s.Counts.Add(queue, state, -1);
                changed++;
            }

            return new WindowSweep.Step(changed, false);
        }, fence: null, JobStore.AnyQueue, cancellationToken).ConfigureAwait(false);

        if (sweep.Changed > 0)
        {
            store.Changes.Notify();
            store.Available.Notify();
        }

        return sweep.Changed;
    }

    /// <summary>How many jobs <see cref="RetryAsync"/> or <see cref="DeleteAsync(JobStore, JobFilter, CancellationToken)"/> would change now.</summary>
    public static Task<long> CountAsync(JobStore store, JobFilter filter, CancellationToken cancellationToken) =>
        store.ReadAsync(filter, static (s, c, f) =>
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

    public static async Task<long> DeleteAsync(JobStore store, JobFilter filter, CancellationToken cancellationToken)
    {
        var sweep = new WindowSweep();
        await sweep.RunAsync(store, filter, static (s, tx, f, from, to) =>
        {
            // A deleted pending job may have been the one a cached priority class stood for.
            s.Claims.ForgetClasses();
            var changed = tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.DeleteWindow], Parameters(f, from, to, s.NowMs), tx));
            return new WindowSweep.Step(changed, false);
        }, fence: null, wakes: null, cancellationToken).ConfigureAwait(false);

        if (sweep.Changed > 0)
        {
            store.Changes.Notify();
        }

        return sweep.Changed;
    }

    public static async Task<long> DeleteAsync(JobStore store, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        var deleted = 0L;
        for (var start = 0; start < ids.Count; start += IdsPerChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var json = Json(ids, start, Math.Min(IdsPerChunk, ids.Count - start));
            deleted += await store.WriteAsync(json, static (s, tx, j) =>
            {
                s.Claims.ForgetClasses();
                return tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.DeleteByIds], new { ids = j }, tx));
            }, cancellationToken).ConfigureAwait(false);
        }

        if (deleted > 0)
        {
            store.Changes.Notify();
        }

        return deleted;
    }

    public static async Task<PurgeResult> PurgeAsync(JobStore store, string queue, CancellationToken cancellationToken)
    {
        // Pending jobs go first, so a job claimed while they are deleted is running by the time its cancellation is
        // requested; the finished ones last, with any job that finished meanwhile.
        var deleted = await DeleteAsync(store, new JobFilter(JobState.Pending) { Queue = queue }, cancellationToken).ConfigureAwait(false);
        var cancelled = await store.WriteAsync(queue, static (s, tx, q) =>
            tx.Connection!.Query<long>(new CommandDefinition(s.Sql[MaintenanceSql.CancelRunningInQueue], new { queue = q }, tx)).AsList(),
            cancellationToken).ConfigureAwait(false);
        foreach (var id in cancelled)
        {
            store.RaiseCancelRequested(id);
        }

        foreach (var state in new[] { JobState.Completed, JobState.Dead, JobState.Cancelled })
        {
            deleted += await DeleteAsync(store, new JobFilter(state) { Queue = queue }, cancellationToken).ConfigureAwait(false);
        }

        return new PurgeResult(deleted, cancelled.Count);
    }

    private static object Parameters(JobFilter f, long from, long to, long now) => new
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

    private static string Json(IReadOnlyList<long> ids, int start, int count)
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < count; i++)
        {
            text.Append(i == 0 ? "" : ",").Append(ids[start + i].ToString(CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }
}
