using System.Data;
using Npgsql;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>Reads: jobs, their executions, listings, statistics and the questions waits and idle workers ask.</summary>
internal sealed partial class PostgreSqlJobStore
{
    // A collector's callback blocks its thread while it reads: a slow server costs it at most this long per statement.
    private const int StatsNowTimeoutSeconds = 5;

    public Task<JobInfo?> GetJobAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync(id, async (connection, jobId, ct) =>
        {
            var jobs = await QueryJobsAsync(Command(PgSql.GetJob, connection).With(Params.Bigint("id", jobId)), ct).ConfigureAwait(false);
            return jobs.Count == 0 ? null : jobs[0];
        }, cancellationToken);

    public Task<IReadOnlyList<JobExecution>> GetExecutionsAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync(id, async (connection, jobId, ct) =>
        {
            var executions = new List<JobExecution>();
            var command = Command(PgSql.GetExecutions, connection).With(Params.Bigint("id", jobId));
            await using (command.ConfigureAwait(false))
            {
                var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(ct).ConfigureAwait(false))
                    {
                        executions.Add(new JobExecution(
                            r.GetInt64(0), r.GetInt32(1), r.GetString(2), Times.FromMs(r.GetInt64(3)), Times.FromMs(r.GetInt64(4)),
                            Outcomes.Parse(r.GetString(5)), r.IsDBNull(6) ? null : r.GetString(6)));
                    }
                }
            }

            return (IReadOnlyList<JobExecution>)executions;
        }, cancellationToken);

    public Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken) =>
        ReadAsync(query, async (connection, q, ct) =>
        {
            var sql = (q.State, q.NewestFirst) switch
            {
                (null, false) => PgSql.ListJobs,
                (JobState.Pending, false) => PgSql.ListPendingJobs,
                (JobState.Running, false) => PgSql.ListRunningJobs,
                (JobState.Completed, false) => PgSql.ListCompletedJobs,
                (JobState.Dead, false) => PgSql.ListDeadJobs,
                (_, false) => PgSql.ListCancelledJobs,
                (null, true) => PgSql.ListJobsNewest,
                (JobState.Pending, true) => PgSql.ListPendingJobsNewest,
                (JobState.Running, true) => PgSql.ListRunningJobsNewest,
                (JobState.Completed, true) => PgSql.ListCompletedJobsNewest,
                (JobState.Dead, true) => PgSql.ListDeadJobsNewest,
                (_, true) => PgSql.ListCancelledJobsNewest,
            };
            var command = Command(sql, connection).With(
                Params.Bigint("after_id", q.AfterId), Params.Bigint("before_id", q.BeforeId), Params.Text("queue", q.Queue), Params.Text("type", q.Type),
                Params.Bigint("created_after", q.CreatedAfter is { } a ? Times.ToMs(a) : null),
                Params.Bigint("created_before", q.CreatedBefore is { } b ? Times.ToMs(b) : null),
                Params.Text("payload_contains", q.PayloadContains), Params.Integer("limit", q.Limit));
            var jobs = await QueryJobsAsync(command, ct).ConfigureAwait(false);
            var full = jobs.Count == q.Limit;
            return q.NewestFirst
                // A page that ended at the window's lowest possible id is the last: no id below it is left to read.
                ? new JobPage(jobs, null) { NextBeforeId = full && jobs[^1].Id > q.AfterId + 1 ? jobs[^1].Id : null }
                : new JobPage(jobs, full ? jobs[^1].Id : null);
        }, cancellationToken);

    public Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken) =>
        ReadAsync(0, (connection, _, ct) => ReadStatsAsync(connection, ct), cancellationToken);

    /// <summary>The statistics on the calling thread, for an observable instrument; null before the store is opened and once it is disposed.</summary>
    public QueueStats? ReadStatsNow()
    {
        if (!_initialized || _disposed)
        {
            return null;
        }

        try
        {
            // Synchronous throughout: a collector's callback cannot await, and must not block on async I/O.
            using var connection = _dataSource.OpenConnection();
            var counts = new List<(string Queue, string State, long Count)>();
            var runnable = new Dictionary<string, (long Count, long OldestRunAt)>(StringComparer.Ordinal);
            var now = NowMs;
            using var transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
            using (var command = Command(PgSql.CountByQueueAndState, connection, transaction))
            {
                command.CommandTimeout = StatsNowTimeoutSeconds;
                using var r = command.ExecuteReader();
                while (r.Read())
                {
                    counts.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
                }
            }

            using (var command = Command(PgSql.RunnableByQueue, connection, transaction))
            {
                command.CommandTimeout = StatsNowTimeoutSeconds;
                using var r = command.ExecuteReader();
                while (r.Read())
                {
                    runnable[r.GetString(0)] = (r.GetInt64(1), r.GetInt64(2));
                    now = r.GetInt64(3);
                }
            }

            transaction.Commit();
            return Aggregate(counts, runnable, now);
        }
        catch (Exception ex) when (PostgreSqlErrors.IsDriverError(ex))
        {
            throw PostgreSqlErrors.Translate(ex, Display);
        }
    }

    /// <summary>Counts by queue and state and the runnable backlog, from one snapshot.</summary>
    private async Task<QueueStats> ReadStatsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var counts = new List<(string Queue, string State, long Count)>();
        var runnable = new Dictionary<string, (long Count, long OldestRunAt)>(StringComparer.Ordinal);
        long now = NowMs;
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var countCommand = Command(PgSql.CountByQueueAndState, connection, transaction);
            await using (countCommand.ConfigureAwait(false))
            {
                var r = await countCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        counts.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
                    }
                }
            }

            var runnableCommand = Command(PgSql.RunnableByQueue, connection, transaction);
            await using (runnableCommand.ConfigureAwait(false))
            {
                var r = await runnableCommand.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        runnable[r.GetString(0)] = (r.GetInt64(1), r.GetInt64(2));
                        now = r.GetInt64(3);
                    }
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return Aggregate(counts, runnable, now);
    }

    private static QueueStats Aggregate(List<(string Queue, string State, long Count)> counts, Dictionary<string, (long Count, long OldestRunAt)> runnable, long now)
    {
        var queues = new List<QueueStatistics>();
        foreach (var group in counts.GroupBy(r => r.Queue, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            long Count(string state) => group.Where(r => r.State == state).Sum(r => r.Count);
            var has = runnable.TryGetValue(group.Key, out var r);
            queues.Add(new QueueStatistics(
                group.Key,
                Pending: Count(States.Pending),
                Runnable: has ? r.Count : 0,
                Running: Count(States.Running),
                Completed: Count(States.Completed),
                Dead: Count(States.Dead),
                Cancelled: Count(States.Cancelled),
                OldestRunnableAge: has ? TimeSpan.FromMilliseconds(Math.Max(0, now - r.OldestRunAt)) : null));
        }

        return new QueueStats(queues);
    }

    public Task<bool> IsActiveAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync(id, (connection, jobId, ct) => ScalarAsync<bool>(Command(PgSql.IsActive, connection).With(Params.Bigint("id", jobId)), ct), cancellationToken);

    public Task<long> CountActiveAsync(string? queue, CancellationToken cancellationToken) =>
        ReadAsync(queue, (connection, q, ct) => ScalarAsync<long>(Command(PgSql.CountActive, connection).With(Params.Text("queue", q)), ct), cancellationToken);

    public Task<IReadOnlyList<long>> ListActiveIdsAsync(string? queue, int limit, CancellationToken cancellationToken) =>
        ReadAsync((queue, limit), (connection, a, ct) =>
            IdsAsync(Command(PgSql.ListActiveIds, connection).With(Params.Text("queue", a.queue), Params.Integer("limit", a.limit)), ct), cancellationToken);

    public Task<bool> AnyLiveAsync(string? queue, CancellationToken cancellationToken) =>
        ReadAsync(queue, (connection, q, ct) => ScalarAsync<bool>(Command(PgSql.AnyLive, connection).With(Params.Text("queue", q)), ct), cancellationToken);

    public Task<long?> NextDueAsync(IReadOnlyList<string> queues, CancellationToken cancellationToken) =>
        ReadAsync(queues, async (connection, qs, ct) =>
        {
            var lease = await ScalarAsync<long?>(Command(PgSql.NextLeaseExpiry, connection), ct).ConfigureAwait(false);
            var run = await ScalarAsync<long?>(Command(PgSql.NextRunAt, connection).With(Params.TextArray("queues", qs)), ct).ConfigureAwait(false);
            return lease is null ? run : run is null ? lease : Math.Min(lease.Value, run.Value);
        }, cancellationToken);

    /// <summary>The first column of every row, as ids; the command is disposed.</summary>
    private static async Task<IReadOnlyList<long>> IdsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        await using (command.ConfigureAwait(false))
        {
            var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (r.ConfigureAwait(false))
            {
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ids.Add(r.GetInt64(0));
                }
            }
        }

        return ids;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command.ConfigureAwait(false))
        {
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is null or DBNull ? default! : (T)value;
        }
    }

    private static async Task<List<JobInfo>> QueryJobsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var jobs = new List<JobInfo>();
        await using (command.ConfigureAwait(false))
        {
            var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (r.ConfigureAwait(false))
            {
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    jobs.Add(ReadJob(r));
                }
            }
        }

        return jobs;
    }

    // The columns of PgSql.JobColumns, in order.
    private static JobInfo ReadJob(NpgsqlDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Queue = r.GetString(1),
        Type = r.GetString(2),
        PayloadJson = r.GetString(3),
        Priority = r.GetInt32(4),
        State = States.Parse(r.GetString(5)),
        RunAt = Times.FromMs(r.GetInt64(6)),
        Attempt = r.GetInt32(7),
        MaxAttempts = r.GetInt32(8),
        Timeout = r.IsDBNull(9) ? null : TimeSpan.FromMilliseconds(r.GetInt64(9)),
        DeduplicationKey = r.IsDBNull(10) ? null : r.GetString(10),
        LeaseOwner = r.IsDBNull(11) ? null : r.GetString(11),
        LeaseExpiresAt = r.IsDBNull(12) ? null : Times.FromMs(r.GetInt64(12)),
        CancellationRequested = r.GetBoolean(13),
        LastError = r.IsDBNull(14) ? null : r.GetString(14),
        CreatedAt = Times.FromMs(r.GetInt64(15)),
        StartedAt = r.IsDBNull(16) ? null : Times.FromMs(r.GetInt64(16)),
        FinishedAt = r.IsDBNull(17) ? null : Times.FromMs(r.GetInt64(17)),
        RecurringName = r.IsDBNull(18) ? null : r.GetString(18),
        ScheduledFor = r.IsDBNull(19) ? null : Times.FromMs(r.GetInt64(19)),
    };
}
