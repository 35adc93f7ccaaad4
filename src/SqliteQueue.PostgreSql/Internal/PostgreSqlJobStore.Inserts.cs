using Npgsql;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>Inserts: one job per statement when it has a deduplication key, runs of jobs without one in a single statement.</summary>
internal sealed partial class PostgreSqlJobStore
{
    // A key whose holder settled between the conflict and the look-up is tried again; beyond this, something else is wrong.
    private const int MaxDedupRounds = 5;

    /// <summary>There is no synchronous path to the server: every insert goes through <see cref="InsertAsync"/>.</summary>
    public bool TryInsertNow<TState>(
        TState state, in JobInsert job, byte[]? payloadUtf8, int payloadLength, long now, Action<TState, (long Id, bool Created)>? committed,
        out (long Id, bool Created) result)
    {
        result = default;
        return false;
    }

    public async Task<(long Id, bool Created)> InsertAsync(JobInsert job, long now, Action<(long Id, bool Created)>? committed, CancellationToken cancellationToken)
    {
        var result = await WriteAsync((job, now), static async (tx, a, ct) =>
        {
            var inserted = await tx.Store.InsertOneAsync(tx, a.job, a.now, ct).ConfigureAwait(false);
            if (inserted.Created && a.job.RunAtMs <= a.now)
            {
                tx.MakesDue(a.job.Queue);
            }

            return inserted;
        }, cancellationToken).ConfigureAwait(false);
        committed?.Invoke(result);
        return result;
    }

    public async Task<(long[] Ids, bool[]? Existing)> InsertManyAsync(
        List<JobInsert> jobs, long now, Action<(long[] Ids, bool[]? Existing)>? committed, CancellationToken cancellationToken)
    {
        var result = await WriteAsync((jobs, now), static async (tx, a, ct) =>
        {
            var ids = new long[a.jobs.Count];
            bool[]? existing = null;
            var i = 0;
            while (i < a.jobs.Count)
            {
                var run = 0;
                while (i + run < a.jobs.Count && a.jobs[i + run].DedupKey is null)
                {
                    run++;
                }

                if (run > 1)
                {
                    await tx.Store.InsertRunAsync(tx, a.jobs, i, run, a.now, ids, ct).ConfigureAwait(false);
                    i += run;
                    continue;
                }

                var (id, created) = await tx.Store.InsertOneAsync(tx, a.jobs[i], a.now, ct).ConfigureAwait(false);
                ids[i] = id;
                if (!created)
                {
                    existing ??= new bool[a.jobs.Count];
                    existing[i] = true;
                }

                i++;
            }

            for (var k = 0; k < a.jobs.Count; k++)
            {
                if (a.jobs[k].RunAtMs <= a.now && existing?[k] != true)
                {
                    tx.MakesDue(a.jobs[k].Queue);
                }
            }

            return (ids, existing);
        }, cancellationToken).ConfigureAwait(false);
        committed?.Invoke(result);
        return result;
    }

    /// <summary>On a test's clock the job runs exactly when asked; on the database's, after the same delay from the database's now.</summary>
    private (long? RunAt, long DelayMs) RunAt(in JobInsert job, long now) =>
        _systemClock ? (null, Math.Max(0, job.RunAtMs - now)) : (job.RunAtMs, 0);

    private async Task<(long Id, bool Created)> InsertOneAsync(WriteTx tx, JobInsert job, long now, CancellationToken cancellationToken)
    {
        var (runAt, delayMs) = RunAt(job, now);
        for (var round = 1; ; round++)
        {
            var insert = tx.Command(PgSql.Insert).With(
                Params.Text("queue", job.Queue), Params.Text("type", job.Type), Params.Text("payload", job.Payload),
                Params.Integer("priority", job.Priority), Params.Bigint("run_at", runAt), Params.Bigint("delay_ms", delayMs),
                Params.Integer("max_attempts", job.MaxAttempts), Params.Bigint("timeout_ms", job.TimeoutMs), Params.Text("dedup_key", job.DedupKey),
                Params.Text("trace_parent", job.TraceParent), Params.Text("trace_state", job.TraceState));
            await using (insert.ConfigureAwait(false))
            {
                if (await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long id)
                {
                    _logger.JobEnqueued(id, job.Type, job.Queue);
                    return (id, true);
                }
            }

            // The key is held by a live job: return that one.
            var find = tx.Command(PgSql.FindLiveDuplicate).With(Params.Text("queue", job.Queue), Params.Text("dedup_key", job.DedupKey));
            await using (find.ConfigureAwait(false))
            {
                if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long existing)
                {
                    _logger.JobDeduplicated(existing, job.Type, job.Queue);
                    return (existing, false);
                }
            }

            if (round == MaxDedupRounds)
            {
                throw new SqliteQueueException($"An enqueue with deduplication key '{job.DedupKey}' on queue '{job.Queue}' kept conflicting with a job that was gone when looked up.");
            }
        }
    }

    /// <summary>Inserts jobs [start, start + count) in one statement; their ids, sorted, are their input order.</summary>
    private async Task InsertRunAsync(WriteTx tx, List<JobInsert> jobs, int start, int count, long now, long[] ids, CancellationToken cancellationToken)
    {
        var queues = new string?[count];
        var types = new string?[count];
        var payloads = new string?[count];
        var priorities = new int[count];
        var runAts = new long?[count];
        var delays = new long?[count];
        var maxAttempts = new int[count];
        var timeouts = new long?[count];
        var traceParents = new string?[count];
        var traceStates = new string?[count];
        for (var k = 0; k < count; k++)
        {
            var job = jobs[start + k];
            queues[k] = job.Queue;
            types[k] = job.Type;
            payloads[k] = job.Payload;
            priorities[k] = job.Priority;
            (runAts[k], var delay) = RunAt(job, now);
            delays[k] = delay;
            maxAttempts[k] = job.MaxAttempts;
            timeouts[k] = job.TimeoutMs;
            traceParents[k] = job.TraceParent;
            traceStates[k] = job.TraceState;
        }

        var insert = tx.Command(PgSql.InsertMany).With(
            Params.TextArray("queues", queues), Params.TextArray("types", types), Params.TextArray("payloads", payloads),
            Params.IntegerArray("priorities", priorities), Params.NullableBigintArray("run_ats", runAts), Params.NullableBigintArray("delays", delays),
            Params.IntegerArray("max_attempts", maxAttempts), Params.NullableBigintArray("timeouts", timeouts),
            Params.TextArray("trace_parents", traceParents), Params.TextArray("trace_states", traceStates));
        var inserted = new List<long>(count);
        await using (insert.ConfigureAwait(false))
        {
            var reader = await insert.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    inserted.Add(reader.GetInt64(0));
                }
            }
        }

        if (inserted.Count != count)
        {
            throw new InvalidOperationException($"A batch insert of {count} jobs returned {inserted.Count} ids.");
        }

        inserted.Sort();
        for (var k = 0; k < count; k++)
        {
            ids[start + k] = inserted[k];
            _logger.JobEnqueued(inserted[k], jobs[start + k].Type, jobs[start + k].Queue);
        }
    }
}
