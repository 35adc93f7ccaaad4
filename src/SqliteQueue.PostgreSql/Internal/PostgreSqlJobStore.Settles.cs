using SqliteQueue.Internal;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// Settles and the client's changes of state: complete (with the starts of held jobs), renew, fail, release, cancel and
/// retry, each one transaction, each settle fenced by the job's lease token.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    public Task<CompletionResult> CompleteAsync(IReadOnlyList<ClaimedJob> completed, IReadOnlyList<ClaimedJob> starting, CancellationToken cancellationToken) =>
        WriteAsync((completed, starting), static async (tx, a, ct) =>
        {
            var applied = new bool[a.completed.Count];
            long now;
            var complete = tx.Command(PgSql.Complete).With(
                Params.BigintArray("ids", [.. a.completed.Select(j => j.Id)]), Params.BigintArray("tokens", [.. a.completed.Select(j => j.LeaseToken)]));
            var done = new HashSet<(long, long)>();
            await using (complete.ConfigureAwait(false))
            {
                var reader = await complete.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    now = 0;
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        now = reader.GetInt64(0);
                        if (!reader.IsDBNull(1))
                        {
                            done.Add((reader.GetInt64(1), reader.GetInt64(2)));
                        }
                    }
                }
            }

            for (var i = 0; i < applied.Length; i++)
            {
                // A job named twice with its token is completed once and reported once, as a second settle would find it settled.
                applied[i] = done.Remove((a.completed[i].Id, a.completed[i].LeaseToken));
                if (applied[i])
                {
                    tx.Count(a.completed[i].Queue, States.Completed, +1);
                }
            }

            var started = a.starting.Count == 0 ? [] : await StartHeldAsync(tx, a.starting, ct).ConfigureAwait(false);
            return new CompletionResult(applied, started, now);
        }, cancellationToken);

    private static async Task<HeldStart[]> StartHeldAsync(WriteTx tx, IReadOnlyList<ClaimedJob> starting, CancellationToken cancellationToken)
    {
        var command = tx.Command(PgSql.StartHeld).With(
            Params.BigintArray("ids", [.. starting.Select(j => j.Id)]), Params.BigintArray("tokens", [.. starting.Select(j => j.LeaseToken)]));
        var outcomes = new Dictionary<(long, long), HeldStart>();
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    outcomes[(reader.GetInt64(0), reader.GetInt64(1))] = reader.GetBoolean(2) ? HeldStart.CancellationRequested : HeldStart.Started;
                }
            }
        }

        var started = new HeldStart[starting.Count];
        for (var i = 0; i < started.Length; i++)
        {
            started[i] = outcomes.Remove((starting[i].Id, starting[i].LeaseToken), out var outcome) ? outcome : HeldStart.LeaseLost;
        }

        return started;
    }

    public Task<(RenewResult[] Results, long Until)> RenewAsync(IReadOnlyList<ClaimedJob> jobs, long leaseMs, CancellationToken cancellationToken) =>
        WriteAsync((jobs, leaseMs), static async (tx, a, ct) =>
        {
            var command = tx.Command(PgSql.Renew).With(
                Params.BigintArray("ids", [.. a.jobs.Select(j => j.Id)]), Params.BigintArray("tokens", [.. a.jobs.Select(j => j.LeaseToken)]),
                Params.Bigint("lease_ms", a.leaseMs));
            var renewed = new Dictionary<(long, long), bool>();
            long now = 0;
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        now = reader.GetInt64(0);
                        if (!reader.IsDBNull(1))
                        {
                            renewed[(reader.GetInt64(1), reader.GetInt64(2))] = reader.GetBoolean(3);
                        }
                    }
                }
            }

            var results = new RenewResult[a.jobs.Count];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = !renewed.TryGetValue((a.jobs[i].Id, a.jobs[i].LeaseToken), out var cancel) ? RenewResult.LeaseLost
                    : cancel ? RenewResult.CancellationRequested
                    : RenewResult.Renewed;
            }

            return (results, now + a.leaseMs);
        }, cancellationToken);

    public async Task<(FailResult Result, long Now)> FailAsync(
        ClaimedJob job, string error, bool permanent, long delayMs, Action<(FailResult Result, long Now)>? committed, CancellationToken cancellationToken)
    {
        var result = await WriteAsync((job, error, permanent, delayMs), static async (tx, a, ct) =>
        {
            var command = tx.Command(PgSql.Fail).With(
                Params.Bigint("id", a.job.Id), Params.Bigint("token", a.job.LeaseToken), Params.Text("error", a.error),
                Params.Boolean("permanent", a.permanent), Params.Bigint("delay_ms", a.delayMs));
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    var now = reader.GetInt64(0);
                    if (reader.IsDBNull(1))
                    {
                        return (FailResult.LeaseLost, now);
                    }

                    var text = reader.GetString(1);
                    tx.Count(a.job.Queue, text, +1);
                    var state = States.Parse(text);
                    if (state != JobState.Pending)
                    {
                        return (new FailResult(true, state, null), now);
                    }

                    if (a.delayMs == 0)
                    {
                        tx.MakesDue(a.job.Queue);
                    }

                    return (new FailResult(true, state, Times.FromMs(reader.GetInt64(2))), now);
                }
            }
        }, cancellationToken).ConfigureAwait(false);
        committed?.Invoke(result);
        return result;
    }

    public Task<bool> ReleaseAsync(ClaimedJob job, long delayMs, CancellationToken cancellationToken) =>
        WriteAsync((job, delayMs), static async (tx, a, ct) =>
        {
            var command = tx.Command(PgSql.Release).With(
                Params.Bigint("id", a.job.Id), Params.Bigint("token", a.job.LeaseToken), Params.Bigint("delay_ms", a.delayMs));
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    if (reader.IsDBNull(1))
                    {
                        return false;
                    }

                    var state = reader.GetString(1);
                    tx.Count(a.job.Queue, state, +1);
                    if (state == States.Pending && a.delayMs == 0)
                    {
                        tx.MakesDue(a.job.Queue);
                    }

                    return true;
                }
            }
        }, cancellationToken);

    public Task<(CancelOutcome Outcome, long Now)> CancelAsync(long id, CancellationToken cancellationToken) =>
        WriteAsync(id, static async (tx, jobId, ct) =>
        {
            var command = tx.Command(PgSql.Cancel).With(Params.Bigint("id", jobId));
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    var now = reader.GetInt64(0);
                    if (reader.IsDBNull(1))
                    {
                        var result = reader.GetBoolean(5) ? CancelResult.AlreadyFinished : CancelResult.NotFound;
                        return (new CancelOutcome(result, null, null, 0), now);
                    }

                    var state = reader.GetString(1);
                    var queue = reader.GetString(2);
                    tx.Count(queue, state, +1);
                    var outcome = state == States.Cancelled ? CancelResult.Cancelled : CancelResult.CancellationRequested;
                    return (new CancelOutcome(outcome, queue, reader.GetString(3), reader.GetInt32(4)), now);
                }
            }
        }, cancellationToken);

    public async Task<bool> RetryAsync(long id, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteAsync(id, static async (tx, jobId, ct) =>
            {
                var command = tx.Command(PgSql.Retry).With(Params.Bigint("id", jobId));
                await using (command.ConfigureAwait(false))
                {
                    var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            return false;
                        }

                        var queue = reader.GetString(0);
                        tx.Count(queue, reader.GetString(1), -1);
                        tx.MakesDue(queue);
                        return true;
                    }
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteQueueException ex) when (ex.InnerException is Npgsql.PostgresException pg && PostgreSqlErrors.IsUniqueViolation(pg) && pg.ConstraintName == "jobs_dedup")
        {
            var holder = await FindKeyHolderAsync(id, cancellationToken).ConfigureAwait(false);
            throw new SqliteQueueException(Errors.DuplicateOnRetry(id, holder), pg);
        }
    }

    private Task<long> FindKeyHolderAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync(id, async (connection, jobId, ct) =>
        {
            string queue;
            string? key;
            var job = Command(PgSql.JobQueueAndDedupKey, connection).With(Params.Bigint("id", jobId));
            await using (job.ConfigureAwait(false))
            {
                var reader = await job.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(ct).ConfigureAwait(false);
                    queue = reader.GetString(0);
                    key = reader.IsDBNull(1) ? null : reader.GetString(1);
                }
            }

            var find = Command(PgSql.FindLiveDuplicate, connection).With(Params.Text("queue", queue), Params.Text("dedup_key", key));
            await using (find.ConfigureAwait(false))
            {
                return await find.ExecuteScalarAsync(ct).ConfigureAwait(false) is long holder ? holder : 0;
            }
        }, cancellationToken);
}
