using Dapper;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// The SQLite store's side of the store seam (<see cref="IJobStore"/>): each operation the queue's logic asks for, as
/// one write through the group commit or one read beside the writer.
/// </summary>
internal sealed partial class JobStore : IJobStore
{
    // ---- producer ----

    public bool TryInsertNow<TState>(
        TState state, in JobInsert job, byte[]? payloadUtf8, int payloadLength, long now, Action<TState, (long Id, bool Created)>? committed,
        out (long Id, bool Created) result) =>
        TryWriteAlone(
            new AloneInsert<TState>(state, job, payloadUtf8, payloadLength, now, committed), AloneInsert<TState>.Write, Wakes(job, now),
            committed is null ? null : AloneInsert<TState>.Committed, out result);

    /// <summary>What <see cref="TryInsertNow"/> hands the write done alone, in one value: no closure per call.</summary>
    private readonly record struct AloneInsert<TState>(
        TState State, JobInsert Job, byte[]? Payload, int PayloadLength, long Now, Action<TState, (long Id, bool Created)>? OnCommit)
    {
        public static readonly Func<JobStore, AloneInsert<TState>, (long Id, bool Created)> Write =
            static (s, a) => (s.Insert(a.Job, a.Payload, a.PayloadLength, a.Now, out var created), created);

        public static readonly Action<AloneInsert<TState>, (long Id, bool Created)> Committed =
            static (a, r) => a.OnCommit!(a.State, r);
    }

    public Task<(long Id, bool Created)> InsertAsync(JobInsert job, long now, Action<(long Id, bool Created)>? committed, CancellationToken cancellationToken) =>
        WriteAsync((job, now), static (s, tx, a) =>
        {
            var id = s.Insert(tx, a.job, a.now, out var created);
            return (id, created);
        }, Wakes(job, now), cancellationToken, committed);

    public Task<(long[] Ids, bool[]? Existing)> InsertManyAsync(
        List<JobInsert> jobs, long now, Action<(long[] Ids, bool[]? Existing)>? committed, CancellationToken cancellationToken) =>
        WriteAsync((jobs, now), static (s, tx, a) =>
        {
            var ids = s.InsertMany(tx, a.jobs, a.now, out var existing);
            return (ids, existing);
        }, Wakes(jobs, now), cancellationToken, committed);

    /// <summary>The queue a job makes work due on now, for the claims parked on it; null for a delayed job.</summary>
    private static string? Wakes(in JobInsert job, long now) => job.RunAtMs <= now ? job.Queue : null;

    /// <summary>The queue a batch makes jobs due on now: one name, <see cref="AnyQueue"/> for several, or null.</summary>
    private static string? Wakes(List<JobInsert> jobs, long now)
    {
        string? wakes = null;
        foreach (var job in jobs)
        {
            if (job.RunAtMs > now)
            {
                continue;
            }

            if (wakes is null)
            {
                wakes = job.Queue;
            }
            else if (!string.Equals(wakes, job.Queue, StringComparison.Ordinal))
            {
                return AnyQueue;
            }
        }

        return wakes;
    }

    public Task<JobInfo?> GetJobAsync(long id, CancellationToken cancellationToken) => ReadAsync(id, GetJob, cancellationToken);

    public Task<IReadOnlyList<JobExecution>> GetExecutionsAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync(id, static (s, c, id) =>
            (IReadOnlyList<JobExecution>)c.Query<ExecutionRow>(new CommandDefinition(s.Sql[JobSql.GetExecutions], new { id }))
                .Select(r => r.ToExecution()).ToList(), cancellationToken);

    public Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken) =>
        ReadAsync(query, static (s, c, q) =>
        {
            var sql = s.Sql[(q.State, q.NewestFirst) switch
            {
                (null, false) => JobSql.ListJobs,
                (JobState.Pending, false) => JobSql.ListPendingJobs,
                (JobState.Running, false) => JobSql.ListRunningJobs,
                (JobState.Completed, false) => JobSql.ListCompletedJobs,
                (JobState.Dead, false) => JobSql.ListDeadJobs,
                (_, false) => JobSql.ListCancelledJobs,
                (null, true) => JobSql.ListJobsNewest,
                (JobState.Pending, true) => JobSql.ListPendingJobsNewest,
                (JobState.Running, true) => JobSql.ListRunningJobsNewest,
                (JobState.Completed, true) => JobSql.ListCompletedJobsNewest,
                (JobState.Dead, true) => JobSql.ListDeadJobsNewest,
                (_, true) => JobSql.ListCancelledJobsNewest,
            }];
            var parameters = new
            {
                after_id = q.AfterId,
                before_id = q.BeforeId,
                queue = q.Queue,
                type = q.Type,
                created_after = q.CreatedAfter is { } a ? Times.ToMs(a) : (long?)null,
                created_before = q.CreatedBefore is { } b ? Times.ToMs(b) : (long?)null,
                payload_contains = q.PayloadContains,
                limit = q.Limit,
            };
            var jobs = c.Query<JobRow>(new CommandDefinition(sql, parameters)).Select(r => r.ToJobInfo()).ToList();
            return JobPage.Of(jobs, q);
        }, cancellationToken);

    public Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken) =>
        ReadAsync(0, static (s, c, _) => ReadStats(s, c), cancellationToken);

    public Task<bool> IsActiveAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync(id, static (s, c, id) => c.ExecuteScalar<long>(new CommandDefinition(s.Sql[JobSql.IsActive], new { id })) != 0, cancellationToken);

    public Task<long> CountActiveAsync(string? queue, CancellationToken cancellationToken) =>
        ReadAsync(queue, static (s, c, q) => c.ExecuteScalar<long>(new CommandDefinition(s.Sql[JobSql.CountActive], new { queue = q })), cancellationToken);

    public Task<IReadOnlyList<long>> ListActiveIdsAsync(string? queue, int limit, CancellationToken cancellationToken) =>
        ReadAsync((queue, limit), static (s, c, a) =>
            (IReadOnlyList<long>)c.Query<long>(new CommandDefinition(s.Sql[JobSql.ListActiveIds], new { queue = a.queue, limit = a.limit })).ToList(),
            cancellationToken);

    public Task<bool> AnyLiveAsync(string? queue, CancellationToken cancellationToken) =>
        ReadAsync(queue, static (s, c, q) => q is null
            ? c.ExecuteScalar<long>(new CommandDefinition(s.Sql[JobSql.AnyLiveJobs])) != 0
            : c.ExecuteScalar<long>(new CommandDefinition(s.Sql[JobSql.QueueHasLiveJobs], new { queue = q })) != 0, cancellationToken);

    public Task<(CancelOutcome Outcome, long Now)> CancelAsync(long id, CancellationToken cancellationToken) =>
        WriteAsync(id, static (s, tx, id) =>
        {
            var now = s.NowMs;
            return (s.Cancel(tx, id, now), now);
        }, cancellationToken);

    public Task<bool> RetryAsync(long id, CancellationToken cancellationToken) =>
        WriteAsync(id, static (s, tx, id) => s.Retry(tx, id, s.NowMs), cancellationToken);

    // ---- worker ----

    public Task<List<ClaimedJob>> ClaimAsync(ClaimArgs args, CancellationToken cancellationToken) =>
        WriteAsync(args, static (s, tx, a) => s.Claim(tx, a), cancellationToken);

    public Task<(RenewResult[] Results, long Until)> RenewAsync(IReadOnlyList<ClaimedJob> jobs, long leaseMs, CancellationToken cancellationToken) =>
        WriteAsync((jobs, leaseMs), static (s, tx, a) =>
        {
            var until = s.NowMs + a.leaseMs;
            var results = new RenewResult[a.jobs.Count];
            for (var i = 0; i < a.jobs.Count; i++)
            {
                results[i] = s.Renew(tx, a.jobs[i].Id, a.jobs[i].LeaseToken, until);
            }

            return (results, until);
        }, cancellationToken);

    public Task<(FailResult Result, long Now)> FailAsync(
        ClaimedJob job, string error, bool permanent, long delayMs, Action<(FailResult Result, long Now)>? committed, CancellationToken cancellationToken) =>
        WriteAsync((job, error, permanent, delayMs), static (s, tx, a) =>
        {
            var now = s.NowMs;
            return (s.Fail(tx, a.job.Id, a.job.LeaseToken, a.job.Queue, a.error, a.permanent, now, now + a.delayMs), now);
        }, wakes: null, cancellationToken, committed);

    public Task<bool> ReleaseAsync(ClaimedJob job, long delayMs, CancellationToken cancellationToken) =>
        WriteAsync((job, delayMs), static (s, tx, a) =>
        {
            var now = s.NowMs;
            return s.Release(tx, a.job.Id, a.job.LeaseToken, a.job.Queue, now, now + a.delayMs);
        }, cancellationToken);

    // ---- waking idle workers ----

    public Task? NextWakeSignal() => Wake.NextSignal();
}
