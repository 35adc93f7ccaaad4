using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>A job to insert, already validated, with the W3C trace context it was enqueued in (null when none).</summary>
internal readonly record struct JobInsert(
    string Queue, string Type, string Payload, int Priority, long RunAtMs, int MaxAttempts, long? TimeoutMs, string? DedupKey,
    string? TraceParent = null, string? TraceState = null);

/// <summary>What <see cref="JobStore.Cancel"/> did, and to which job: queue, type and attempt are null and 0 unless it found a live one.</summary>
internal readonly record struct CancelOutcome(CancelResult Result, string? Queue, string? Type, int Attempt);

/// <summary>
/// The store's writes of jobs, each called inside <see cref="WriteAsync{TState, T}(TState, Func{JobStore, SqliteTransaction, TState, T}, CancellationToken)"/>:
/// inserts, and every change of a job's state, with what each change does to the finished counts (<see cref="Counts"/>).
/// </summary>
internal sealed partial class JobStore
{
    public long Insert(SqliteTransaction tx, in JobInsert job, long now) => Insert(tx, job, now, out _);

    /// <summary>Inserts a job; <paramref name="created"/> is false when its deduplication key named a live job, whose id is returned.</summary>
    public long Insert(SqliteTransaction tx, in JobInsert job, long now, out bool created) =>
        Insert(tx, job, null, 0, now, out created);

    /// <summary>
    /// As <see cref="Insert(SqliteTransaction, in JobInsert, long, out bool)"/>, in the writer's current transaction,
    /// which may have been begun through the C API. When <paramref name="payloadUtf8"/> is given, its first
    /// <paramref name="payloadLength"/> bytes (UTF-8 JSON) are the payload, in place of <see cref="JobInsert.Payload"/>.
    /// </summary>
    public long Insert(in JobInsert job, byte[]? payloadUtf8, int payloadLength, long now, out bool created) =>
        Insert(null, job, payloadUtf8, payloadLength, now, out created);

    private long Insert(SqliteTransaction? tx, in JobInsert job, byte[]? payloadUtf8, int payloadLength, long now, out bool created)
    {
        var insert = Raw(JobSql.Enqueue, tx);
        _enqueueSlots ??= EnqueueSlots.Of(insert);
        var slots = _enqueueSlots;
        insert.Set(slots.Queue, job.Queue);
        insert.Set(slots.Type, job.Type);
        if (payloadUtf8 is null)
        {
            insert.Set(slots.Payload, job.Payload);
        }
        else
        {
            insert.SetUtf8(slots.Payload, payloadUtf8, payloadLength);
        }

        insert.Set(slots.Priority, job.Priority);
        insert.Set(slots.RunAt, job.RunAtMs);
        insert.Set(slots.MaxAttempts, job.MaxAttempts);
        insert.Set(slots.TimeoutMs, job.TimeoutMs);
        insert.Set(slots.DedupKey, job.DedupKey);
        insert.Set(slots.Now, now);
        insert.Set(slots.TraceParent, job.TraceParent);
        insert.Set(slots.TraceState, job.TraceState);
        Claims.NotePending(job.Queue, job.Priority, job.RunAtMs);
        if (insert.ExecuteScalarInt64() is { } id)
        {
            _logger.JobEnqueued(id, job.Type, job.Queue);
            created = true;
            return id;
        }

        created = false;

        // The key is held by a live job: return that one.
        var find = Raw(JobSql.FindLiveDuplicate, tx);
        find.Set("@queue", job.Queue);
        find.Set("@dedup_key", job.DedupKey);
        var existing = find.ExecuteScalarInt64() ?? throw new InvalidOperationException("A deduplicated enqueue found no live job holding its key.");
        _logger.JobDeduplicated(existing, job.Type, job.Queue);
        return existing;
    }

    /// <summary>Inserts jobs in order, sixteen per statement where no deduplication key is involved.</summary>
    public long[] InsertMany(SqliteTransaction tx, List<JobInsert> jobs, long now) => InsertMany(tx, jobs, now, out _);

    /// <summary>
    /// As <see cref="InsertMany(SqliteTransaction, List{JobInsert}, long)"/>; <paramref name="existing"/> marks the jobs
    /// whose deduplication key named a live job (whose id stands in their place), and is null when there was none.
    /// </summary>
    public long[] InsertMany(SqliteTransaction tx, List<JobInsert> jobs, long now, out bool[]? existing)
    {
        const int Chunk = 16;
        existing = null;
        var ids = new long[jobs.Count];
        var i = 0;
        while (i < jobs.Count)
        {
            var run = 0;
            while (run < Chunk && i + run < jobs.Count && jobs[i + run].DedupKey is null)
            {
                run++;
            }

            if (run == Chunk)
            {
                InsertSixteen(tx, jobs, i, now, ids);
                i += Chunk;
            }
            else
            {
                ids[i] = Insert(tx, jobs[i], now, out var created);
                if (!created)
                {
                    existing ??= new bool[jobs.Count];
                    existing[i] = true;
                }

                i++;
            }
        }

        return ids;
    }

    private void InsertSixteen(SqliteTransaction tx, List<JobInsert> jobs, int start, long now, long[] ids)
    {
        var command = Raw(JobSql.EnqueueSixteen, tx);
        _sixteenSlots ??= SixteenNames.Select(row => row.Select(command.Slot).ToArray()).ToArray();
        for (var k = 0; k < 16; k++)
        {
            var job = jobs[start + k];
            var slots = _sixteenSlots[k];
            command.Set(slots[0], job.Queue);
            command.Set(slots[1], job.Type);
            command.Set(slots[2], job.Payload);
            command.Set(slots[3], job.Priority);
            command.Set(slots[4], job.RunAtMs);
            command.Set(slots[5], job.MaxAttempts);
            command.Set(slots[6], job.TimeoutMs);
            Claims.NotePending(job.Queue, job.Priority, job.RunAtMs);
        }

        command.Set("@now", now);
        command.Set(command.Slot("@trace_parent"), jobs[start].TraceParent);
        command.Set(command.Slot("@trace_state"), jobs[start].TraceState);
        Span<long> inserted = stackalloc long[16];
        var count = 0;
        try
        {
            command.Start();
            while (command.Read())
            {
                inserted[count++] = command.Int64(0);
            }
        }
        finally
        {
            command.Finish();
        }

        // RETURNING promises no order, but rows are numbered in VALUES order: sorted ids are the input order.
        inserted[..count].Sort();
        for (var k = 0; k < count; k++)
        {
            ids[start + k] = inserted[k];
        }
    }

    private int[][]? _sixteenSlots;
    private EnqueueSlots? _enqueueSlots;

    /// <summary>The parameter slots of <see cref="JobSql.Enqueue"/>, looked up once rather than by name on every insert.</summary>
    private sealed record EnqueueSlots(
        int Queue, int Type, int Payload, int Priority, int RunAt, int MaxAttempts, int TimeoutMs, int DedupKey, int Now, int TraceParent, int TraceState)
    {
        public static EnqueueSlots Of(RawCommand c) => new(
            c.Slot("@queue"), c.Slot("@type"), c.Slot("@payload"), c.Slot("@priority"), c.Slot("@run_at"), c.Slot("@max_attempts"),
            c.Slot("@timeout_ms"), c.Slot("@dedup_key"), c.Slot("@now"), c.Slot("@trace_parent"), c.Slot("@trace_state"));
    }

    private static readonly string[][] SixteenNames = Enumerable.Range(0, 16)
        .Select(k => new[] { "@queue", "@type", "@payload", "@priority", "@run_at", "@max_attempts", "@timeout_ms" }
            .Select(n => n + k.ToString(CultureInfo.InvariantCulture)).ToArray())
        .ToArray();

    /// <inheritdoc cref="ClaimEngine.Claim"/>
    public List<ClaimedJob> Claim(SqliteTransaction tx, ClaimArgs args) => Claims.Claim(tx, args);

    /// <inheritdoc cref="ClaimEngine.StartHeld"/>
    public HeldStart StartHeld(SqliteTransaction tx, long id, long token, long now) => Claims.StartHeld(tx, id, token, now);

    public bool Complete(SqliteTransaction tx, long id, long token, string queue, long now)
    {
        var command = Raw(JobSql.CompleteJob, tx);
        command.Set("@id", id);
        command.Set("@token", token);
        command.Set("@now", now);
        if (command.ExecuteNonQuery() == 0)
        {
            return false;
        }

        Counts.Add(queue, States.Completed, +1);
        return true;
    }

    public FailResult Fail(SqliteTransaction tx, long id, long token, string queue, string error, bool permanent, long now, long retryAtMs)
    {
        var command = Raw(JobSql.FailJob, tx);
        command.Set("@id", id);
        command.Set("@token", token);
        command.Set("@now", now);
        command.Set("@error", error);
        command.Set("@permanent", permanent ? 1 : 0);
        command.Set("@retry_at", retryAtMs);
        try
        {
            command.Start();
            if (!command.Read())
            {
                return FailResult.LeaseLost;
            }

            var text = command.Text(0);
            Counts.Add(queue, text, +1);
            var state = States.Parse(text);
            if (state == JobState.Pending)
            {
                Claims.ForgetClasses();
            }

            return new FailResult(true, state, state == JobState.Pending ? Times.FromMs(command.Int64(1)) : null);
        }
        finally
        {
            command.Finish();
        }
    }

    public bool Release(SqliteTransaction tx, long id, long token, string queue, long now, long runAtMs)
    {
        var command = Raw(JobSql.ReleaseJob, tx);
        command.Set("@id", id);
        command.Set("@token", token);
        command.Set("@now", now);
        command.Set("@run_at", runAtMs);
        Claims.ForgetClasses();
        try
        {
            command.Start();
            if (!command.Read())
            {
                return false;
            }

            Counts.Add(queue, command.Text(0), +1);
            return true;
        }
        finally
        {
            command.Finish();
        }
    }

    public RenewResult Renew(SqliteTransaction tx, long id, long token, long untilMs)
    {
        var command = Raw(JobSql.RenewLease, tx);
        command.Set("@id", id);
        command.Set("@token", token);
        command.Set("@until", untilMs);
        return command.ExecuteScalarInt64() switch
        {
            null => RenewResult.LeaseLost,
            0 => RenewResult.Renewed,
            _ => RenewResult.CancellationRequested,
        };
    }

    public CancelOutcome Cancel(SqliteTransaction tx, long id, long now)
    {
        var c = Writer.QueryFirstOrDefault<(string? State, string Queue, string Type, long Attempt)>(new CommandDefinition(Sql[JobSql.CancelJob], new { id, now }, tx));
        if (c.State is not null)
        {
            Counts.Add(c.Queue, c.State, +1);
            var result = c.State == States.Cancelled ? CancelResult.Cancelled : CancelResult.CancellationRequested;
            return new CancelOutcome(result, c.Queue, c.Type, (int)c.Attempt);
        }

        var exists = Writer.ExecuteScalar<long>(new CommandDefinition(Sql[JobSql.JobExists], new { id }, tx)) != 0;
        return new CancelOutcome(exists ? CancelResult.AlreadyFinished : CancelResult.NotFound, null, null, 0);
    }

    public bool Retry(SqliteTransaction tx, long id, long now)
    {
        Claims.ForgetClasses();
        try
        {
            var b = Writer.QueryFirstOrDefault<(string Queue, string? State)>(new CommandDefinition(Sql[JobSql.JobQueueAndState], new { id }, tx));
            if (b.State is null || Writer.Execute(new CommandDefinition(Sql[JobSql.RetryJob], new { id, now }, tx)) == 0)
            {
                return false;
            }

            Counts.Add(b.Queue, b.State, -1);
            return true;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
        {
            var job = Writer.QueryFirst<JobRow>(new CommandDefinition(Sql[JobSql.GetJob], new { id }, tx));
            var holder = Writer.ExecuteScalar<long>(new CommandDefinition(
                Sql[JobSql.FindLiveDuplicate], new { queue = job.Queue, dedup_key = job.DedupKey }, tx));
            throw new SqliteQueueException(Errors.DuplicateOnRetry(id, holder), ex);
        }
    }
}
