using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SqliteQueue.Scheduling;

namespace SqliteQueue.Internal.Storage;

/// <summary>A job to insert, already validated.</summary>
internal readonly record struct JobInsert(
    string Queue, string Type, string Payload, int Priority, long RunAtMs, int MaxAttempts, long? TimeoutMs, string? DedupKey);

/// <summary>What one claim asks for.</summary>
internal sealed record ClaimArgs(string WorkerId, IReadOnlyList<string> Queues, ISchedulingStrategy Strategy, long LeaseMs, int MaxJobs);

/// <summary>
/// The only code that touches SQL. Writes in this process pass one async gate onto one long-lived writer
/// connection, each in a <c>BEGIN IMMEDIATE</c> transaction, with the hot statements prepared once; reads use
/// short-lived pooled connections beside it (WAL). A write that finds the file locked by another process
/// past <c>busy_timeout</c> is retried whole, never half-applied.
/// </summary>
internal sealed class JobStore : IDisposable, IAsyncDisposable
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const string LeaseExpiredError = "The worker's lease expired before it settled the job (the worker crashed, hung or lost the store).";

    private readonly ConnectionFactory _connections;
    private readonly ILogger _logger;
    private const int MaxGroup = 512;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<WriteItem> _pending = [];
    private readonly List<ParkedClaim> _parked = []; // guarded by _pending's lock, as is everything the leader hands over
    private bool _leaderActive;
    private SqliteCommand? _savepoint;
    private SqliteCommand? _release;
    private SqliteCommand? _rollbackTo;
    private readonly Lock _watchLock = new();
    private SqliteConnection? _watch;
    private SqliteCommand? _watchVersion;
    private const int CheckpointEveryChanges = 2000;
    private readonly SemaphoreSlim _checkpointSignal = new(0, 1);
    private readonly CancellationTokenSource _checkpointStop = new();
    private Task? _checkpointer;
    private int _changesAtCheckpoint;
    private readonly Dictionary<string, RawCommand> _raw = new(ReferenceEqualityComparer.Instance);

    // Kept runnable priority classes per queue (see RunnableClasses), touched only by the writer under the gate.
    // Any write that can make a job pending without saying where clears them; the lifetime bounds what a missed
    // case could cost.
    private const long PriorityClassesLifetimeMs = 1000;
    private readonly Dictionary<string, PriorityClassList> _priorityClasses = new(StringComparer.Ordinal);
    private SqliteConnection? _writer;
    private volatile bool _initialized;
    private bool _disposed;

    public JobStore(SqliteQueueOptions options, TimeProvider time, ILogger logger)
    {
        Options = options;
        Time = time;
        _logger = logger;
        _connections = new ConnectionFactory(options);
        Sql = new SqlText(options.TablePrefix);
    }

    public SqliteQueueOptions Options { get; }

    public TimeProvider Time { get; }

    public SqlText Sql { get; }

    public ChangeNotifier Changes { get; } = new();

    /// <summary>Pulsed when jobs may have become claimable in this process (enqueue, retry, release).</summary>
    public ChangeNotifier Available { get; } = new();

    /// <summary>Raised in this process when cancellation of a running job was requested, so its handler stops at once.</summary>
    public event Action<long>? CancelRequested;

    public void RaiseCancelRequested(long jobId) => CancelRequested?.Invoke(jobId);

    public string DataSource => _connections.DataSource;

    public bool IsMemory => _connections.IsMemory;

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Opens the file, refuses it if incompatible, and migrates it. Every operation does this on first use.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) =>
        _initialized ? Task.CompletedTask : WriteAsync(0, static (_, _, _) => 0, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> on the writer inside an IMMEDIATE transaction and returns its result once
    /// committed. Writes that arrive while another is being committed are group-committed: the next leader runs
    /// all of them in one transaction, each under its own savepoint, so one item's failure undoes only that
    /// item. A write that finds the file locked by another process past <c>busy_timeout</c> is retried whole.
    /// </summary>
    public Task<T> WriteAsync<TState, T>(TState state, Func<JobStore, SqliteTransaction, TState, T> work, CancellationToken cancellationToken) =>
        WriteAsync(state, work, wakes: null, cancellationToken);

    /// <summary>
    /// As <see cref="WriteAsync{TState, T}(TState, Func{JobStore, SqliteTransaction, TState, T}, CancellationToken)"/>, for
    /// a write that makes jobs due now on the queue <paramref name="wakes"/> (<see cref="AnyQueue"/> for several):
    /// claims parked on that queue run in the same transaction, after it.
    /// </summary>
    public Task<T> WriteAsync<TState, T>(TState state, Func<JobStore, SqliteTransaction, TState, T> work, string? wakes, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        var item = new WriteItem<TState, T>(state, work) { Wakes = wakes };
        bool lead;
        lock (_pending)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _pending.Add(item);
            lead = !_leaderActive;
            _leaderActive = true;
        }

        return lead ? LeadThenReturnAsync(item) : item.Task;
    }

    private async Task<T> LeadThenReturnAsync<T>(WriteItem<T> own)
    {
        await LeadAsync(own).ConfigureAwait(false);
        return await own.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Commits batches of pending writes until this caller's own write is done, then hands leadership to a
    /// pool thread if more are waiting, so no caller keeps serving others after its own result is ready.
    /// </summary>
    private async Task LeadAsync(WriteItem? own)
    {
        while (true)
        {
            List<WriteItem> batch;
            lock (_pending)
            {
                if (_pending.Count == 0 || (own is not null && own.IsDone))
                {
                    if (_pending.Count == 0)
                    {
                        _leaderActive = false;
                    }
                    else
                    {
                        _ = Task.Run(() => LeadAsync(null));
                    }

                    return;
                }

                var take = Options.GroupCommit ? Math.Min(_pending.Count, MaxGroup) : 1;
                batch = _pending.GetRange(0, take);
                _pending.RemoveRange(0, take);
                if (_parked.Count > 0 && Options.GroupCommit)
                {
                    AttachParkedClaims(batch);
                }
            }

            await RunBatchAsync(batch).ConfigureAwait(false);
        }
    }

    /// <summary>The queue name, for <see cref="WriteAsync{TState, T}(TState, Func{JobStore, SqliteTransaction, TState, T}, string?, CancellationToken)"/>, of a write that makes jobs due on several queues.</summary>
    public const string AnyQueue = "*";

    /// <summary>
    /// Parks a claim for a worker of this process that found nothing to do. The next commit that makes a job due
    /// on one of its queues runs the claim too, after its own writes: the job is claimed in the commit that
    /// enqueued it, and its worker is woken with it, with no second transaction between enqueue and handler.
    /// </summary>
    public ParkedClaim ParkClaim(ClaimArgs args)
    {
        var claim = new ParkedClaim(args);
        lock (_pending)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _parked.Add(claim);
        }

        return claim;
    }

    /// <summary>How many claims are parked now.</summary>
    public int ParkedClaims
    {
        get
        {
            lock (_pending)
            {
                return _parked.Count;
            }
        }
    }

    /// <summary>Takes a parked claim back. False when a commit has already taken it: its result is then on its way.</summary>
    public bool TryUnpark(ParkedClaim claim)
    {
        lock (_pending)
        {
            return _parked.Remove(claim);
        }
    }

    private void AttachParkedClaims(List<WriteItem> batch)
    {
        var count = batch.Count;
        for (var p = _parked.Count - 1; p >= 0; p--)
        {
            var claim = _parked[p];
            for (var i = 0; i < count; i++)
            {
                if (batch[i].Wakes is { } queue && (queue == AnyQueue || claim.Covers(queue)))
                {
                    batch.Add(claim.Item);
                    _parked.RemoveAt(p);
                    break;
                }
            }
        }
    }

    private async Task RunBatchAsync(List<WriteItem> batch)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var writer = EnsureWriter();
                    using var tx = writer.BeginTransaction();
                    if (batch.Count == 1)
                    {
                        batch[0].Run(this, tx);
                    }
                    else
                    {
                        foreach (var item in batch)
                        {
                            RunIsolated(item, tx);
                        }
                    }

                    tx.Commit();
                    NoteCommit(writer);
                    break;
                }
                catch (SqliteException ex) when (IsBusy(ex))
                {
                    // Class lists taken inside the rolled-back transaction may show its writes.
                    _priorityClasses.Clear();
                    if (attempt > Options.BusyRetries)
                    {
                        var busy = new QueueBusyException(Errors.Busy(DataSource, attempt), ex);
                        foreach (var item in batch)
                        {
                            item.Fail(busy);
                        }

                        return;
                    }

                    _logger.StoreBusy(DataSource, attempt, Options.BusyRetries);
                    foreach (var item in batch)
                    {
                        item.Reset();
                    }

                    // The lock is held by another connection, which lives in real time; an injected test clock
                    // that never moves must not turn this pause into a hang.
                    await Task.Delay(TimeSpan.FromMilliseconds(25 * attempt), TimeProvider.System).ConfigureAwait(false);
                }
                catch (Exception ex) when (batch.Count == 1)
                {
                    _priorityClasses.Clear();
                    batch[0].Fail(ex);
                    return;
                }
                catch (Exception ex)
                {
                    // The transaction itself failed (not one item): every item shares the outcome.
                    _priorityClasses.Clear();
                    foreach (var item in batch)
                    {
                        item.Fail(ex);
                    }

                    return;
                }
            }

            foreach (var item in batch)
            {
                item.Publish();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private void RunIsolated(WriteItem item, SqliteTransaction tx)
    {
        Savepoint(ref _savepoint, "SAVEPOINT item;", tx);
        try
        {
            item.Run(this, tx);
            Savepoint(ref _release, "RELEASE item;", tx);
        }
        catch (SqliteException ex) when (IsBusy(ex))
        {
            throw;
        }
        catch (Exception ex)
        {
            // What the item wrote is undone, but a class list taken inside it would still show it.
            _priorityClasses.Clear();
            Savepoint(ref _rollbackTo, "ROLLBACK TO item;", tx);
            Savepoint(ref _release, "RELEASE item;", tx);
            item.Fail(ex);
        }
    }

    private void Savepoint(ref SqliteCommand? command, string sql, SqliteTransaction tx)
    {
        if (command is null)
        {
            command = Writer.CreateCommand();
            command.CommandText = sql;
            command.Prepare();
        }

        command.Transaction = tx;
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a read on a short-lived connection (or on the writer, for a memory database).</summary>
    public async Task<T> ReadAsync<TState, T>(TState state, Func<JobStore, SqliteConnection, TState, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (IsMemory)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return read(this, EnsureWriter(), state);
            }
            finally
            {
                _gate.Release();
            }
        }

        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = _connections.OpenReader();
        return read(this, connection, state);
    }

    // ---- writes (called inside WriteAsync) ----

    public long Insert(SqliteTransaction tx, in JobInsert job, long now)
    {
        var insert = Raw(JobSql.Enqueue, tx);
        insert.Set("@queue", job.Queue);
        insert.Set("@type", job.Type);
        insert.Set("@payload", job.Payload);
        insert.Set("@priority", job.Priority);
        insert.Set("@run_at", job.RunAtMs);
        insert.Set(insert.Slot("@max_attempts"), job.MaxAttempts);
        insert.Set(insert.Slot("@timeout_ms"), job.TimeoutMs);
        insert.Set("@dedup_key", job.DedupKey);
        insert.Set("@now", now);
        NotePending(job.Queue, job.Priority, job.RunAtMs);
        if (insert.ExecuteScalarInt64() is { } id)
        {
            _logger.JobEnqueued(id, job.Type, job.Queue);
            return id;
        }

        // The key is held by a live job: return that one.
        var find = Raw(JobSql.FindLiveDuplicate, tx);
        find.Set("@queue", job.Queue);
        find.Set("@dedup_key", job.DedupKey);
        var existing = find.ExecuteScalarInt64() ?? throw new InvalidOperationException("A deduplicated enqueue found no live job holding its key.");
        _logger.JobDeduplicated(existing, job.Type, job.Queue);
        return existing;
    }

    /// <summary>Inserts jobs in order, sixteen per statement where no deduplication key is involved.</summary>
    public long[] InsertMany(SqliteTransaction tx, List<JobInsert> jobs, long now)
    {
        const int Chunk = 16;
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
                ids[i] = Insert(tx, jobs[i], now);
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
            NotePending(job.Queue, job.Priority, job.RunAtMs);
        }

        command.Set("@now", now);
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

    private static readonly string[][] SixteenNames = Enumerable.Range(0, 16)
        .Select(k => new[] { "@queue", "@type", "@payload", "@priority", "@run_at", "@max_attempts", "@timeout_ms" }
            .Select(n => n + k.ToString(CultureInfo.InvariantCulture)).ToArray())
        .ToArray();

    public List<ClaimedJob> Claim(SqliteTransaction tx, ClaimArgs args)
    {
        var now = NowMs;
        RescueExpiredLeases(tx, now);

        var token = Random.Shared.NextInt64(1, long.MaxValue);
        var until = now + args.LeaseMs;
        var claimed = new List<ClaimedJob>(args.MaxJobs);
        foreach (var queue in args.Queues)
        {
            if (claimed.Count >= args.MaxJobs)
            {
                break;
            }

            if (!args.Strategy.UsesPriorityClasses)
            {
                RunPlan(tx, args, queue, [], now, token, until, claimed);
                continue;
            }

            var classes = RunnableClasses(tx, queue, now, out var listedNow);
            if (classes.Count == 0 || RunPlan(tx, args, queue, classes, now, token, until, claimed))
            {
                continue;
            }

            // A step came up short: its class had fewer runnable jobs than drawn. The next claim lists the classes
            // again; when this one drew from a kept list, the class may have run out since, so the rest is drawn
            // from what is runnable now, and a claim never comes back empty while another class has work.
            _priorityClasses.Remove(queue);
            if (!listedNow)
            {
                classes = RunnableClasses(tx, queue, now, out _);
                if (classes.Count > 0 && !RunPlan(tx, args, queue, classes, now, token, until, claimed))
                {
                    _priorityClasses.Remove(queue);
                }
            }
        }

        if (claimed.Count > 0)
        {
            _logger.JobsClaimed(args.WorkerId, claimed.Count);
        }

        return claimed;
    }

    public bool Complete(SqliteTransaction tx, long id, long token, long now)
    {
        var command = Raw(JobSql.CompleteJob, tx);
        command.Set("@id", id);
        command.Set("@token", token);
        command.Set("@now", now);
        return command.ExecuteNonQuery() > 0;
    }

    public FailResult Fail(SqliteTransaction tx, long id, long token, string error, bool permanent, long now, long retryAtMs)
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

            var state = States.Parse(command.Text(0));
            if (state == JobState.Pending)
            {
                _priorityClasses.Clear();
            }

            return new FailResult(true, state, state == JobState.Pending ? Times.FromMs(command.Int64(1)) : null);
        }
        finally
        {
            command.Finish();
        }
    }

    public bool Release(SqliteTransaction tx, long id, long token, long now, long runAtMs)
    {
        var command = Raw(JobSql.ReleaseJob, tx);
        command.Set("@id", id);
        command.Set("@token", token);
        command.Set("@now", now);
        command.Set("@run_at", runAtMs);
        _priorityClasses.Clear();
        return command.ExecuteNonQuery() > 0;
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

    public CancelResult Cancel(SqliteTransaction tx, long id, long now)
    {
        var state = Writer.QueryFirstOrDefault<string>(new CommandDefinition(Sql[JobSql.CancelJob], new { id, now }, tx));
        if (state is not null)
        {
            return state == States.Cancelled ? CancelResult.Cancelled : CancelResult.CancellationRequested;
        }

        return Writer.ExecuteScalar<long>(new CommandDefinition(Sql[JobSql.JobExists], new { id }, tx)) != 0
            ? CancelResult.AlreadyFinished
            : CancelResult.NotFound;
    }

    public bool Retry(SqliteTransaction tx, long id, long now)
    {
        _priorityClasses.Clear();
        try
        {
            return Writer.Execute(new CommandDefinition(Sql[JobSql.RetryJob], new { id, now }, tx)) > 0;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
        {
            var job = Writer.QueryFirst<JobRow>(new CommandDefinition(Sql[JobSql.GetJob], new { id }, tx));
            var holder = Writer.ExecuteScalar<long>(new CommandDefinition(
                Sql[JobSql.FindLiveDuplicate], new { queue = job.Queue, dedup_key = job.DedupKey }, tx));
            throw new SqliteQueueException(Errors.DuplicateOnRetry(id, holder), ex);
        }
    }

    /// <summary>
    /// Expired leases are found by one index seek inside each claim, so a crashed worker's jobs come back
    /// without a separate reaper.
    /// </summary>
    public int RescueExpiredLeases(SqliteTransaction tx, long now)
    {
        var probe = Raw(JobSql.AnyLeaseExpired, tx);
        probe.Set("@now", now);
        if (probe.ExecuteScalarInt64() is null or 0)
        {
            return 0;
        }

        var rescue = Raw(JobSql.RescueExpiredLeases, tx);
        rescue.Set("@now", now);
        rescue.Set("@error", LeaseExpiredError);
        var rescued = rescue.ExecuteNonQuery() / 2;
        _priorityClasses.Clear();
        _logger.LeasesRescued(rescued);
        return rescued;
    }

    /// <summary>Runs one strategy plan on one queue; false when a step found fewer jobs than it asked for.</summary>
    private bool RunPlan(SqliteTransaction tx, ClaimArgs args, string queue, IReadOnlyList<int> classes, long now, long token, long until, List<ClaimedJob> claimed)
    {
        var plan = args.Strategy.Plan(new ClaimRequest(queue, args.MaxJobs - claimed.Count, classes))
            ?? throw new InvalidOperationException($"The scheduling strategy '{args.Strategy.Name}' ({args.Strategy.GetType().Name}) returned no plan; return ClaimPlan.Empty to claim nothing.");
        var full = true;
        foreach (var step in plan.Steps)
        {
            var count = Math.Min(step.Count, args.MaxJobs - claimed.Count);
            if (count <= 0)
            {
                break;
            }

            var before = claimed.Count;
            if (count == 1)
            {
                ClaimOne(tx, step, queue, now, token, until, args.WorkerId, claimed);
            }
            else
            {
                ClaimMany(tx, step, count, queue, now, token, until, args.WorkerId, claimed);
            }

            full &= claimed.Count - before == count;
        }

        return full;
    }

    /// <summary>
    /// The queue's runnable priority classes, from the list kept since the last skip scan while nothing can have
    /// added one: no other connection has committed (<c>PRAGMA data_version</c> on the writer), no write of this
    /// store has made a job pending in an unlisted class, and no listed job has come due. Listing them costs two
    /// seeks per class, more than the claim itself, so a WeightedRandom worker would otherwise pay it twice per job.
    /// A kept list may still name a class that has run dry; the claim notices the short step and lists again.
    /// </summary>
    private IReadOnlyList<int> RunnableClasses(SqliteTransaction tx, string queue, long now, out bool listedNow)
    {
        var version = Raw(JobSql.DataVersion, tx).ExecuteScalarInt64() ?? 0;
        if (_priorityClasses.TryGetValue(queue, out var kept) && kept.DataVersion == version && now >= kept.ListedAt && now < kept.ValidUntil)
        {
            listedNow = false;
            return kept.Runnable;
        }

        var command = Raw(JobSql.PriorityClasses, tx);
        command.Set("@queue", queue);
        var runnable = new List<int>();
        var validUntil = now + PriorityClassesLifetimeMs;
        try
        {
            command.Start();
            while (command.Read())
            {
                var firstRunAt = command.Int64(1);
                if (firstRunAt <= now)
                {
                    runnable.Add(command.Int32(0));
                }
                else
                {
                    validUntil = Math.Min(validUntil, firstRunAt);
                }
            }
        }
        finally
        {
            command.Finish();
        }

        var list = new PriorityClassList(runnable.AsReadOnly(), version, now, validUntil);
        _priorityClasses[queue] = list;
        listedNow = true;
        return list.Runnable;
    }

    /// <summary>A job became pending through this store's writer: the kept class list of its queue may lack its class.</summary>
    private void NotePending(string queue, int priority, long runAtMs)
    {
        if (!_priorityClasses.TryGetValue(queue, out var kept))
        {
            return;
        }

        if (runAtMs > kept.ListedAt)
        {
            // Not runnable when listed: the list holds until the job comes due, whatever its class.
            _priorityClasses[queue] = kept with { ValidUntil = Math.Min(kept.ValidUntil, runAtMs) };
        }
        else if (!kept.Runnable.Contains(priority))
        {
            _priorityClasses.Remove(queue);
        }
    }

    private void ClaimOne(SqliteTransaction tx, ClaimStep step, string queue, long now, long token, long until, string owner, List<ClaimedJob> claimed)
    {
        var command = Raw(ForStep(step, JobSql.ClaimOneInClass, JobSql.ClaimOneFifo, JobSql.ClaimOneLifo, JobSql.ClaimOnePriority), tx);
        command.Set("@queue", queue);
        command.Set("@now", now);
        command.Set("@owner", owner);
        command.Set("@token", token);
        command.Set("@until", until);
        if (step.PriorityClass is { } priority)
        {
            command.Set("@priority", priority);
        }

        try
        {
            command.Start();
            if (command.Read())
            {
                // RETURNING shows the row as updated: the attempt already counts this claim.
                claimed.Add(ReadClaimed(command, attemptOffset: 0, token, until));
            }
        }
        finally
        {
            command.Finish();
        }
    }

    /// <summary>Reads the step's rows in claim order, then takes each by id (the transaction holds the write lock throughout).</summary>
    private void ClaimMany(SqliteTransaction tx, ClaimStep step, int count, string queue, long now, long token, long until, string owner, List<ClaimedJob> claimed)
    {
        var select = Raw(ForStep(step, JobSql.PendingInClass, JobSql.PendingFifo, JobSql.PendingLifo, JobSql.PendingPriority), tx);
        select.Set("@queue", queue);
        select.Set("@now", now);
        select.Set("@limit", count);
        if (step.PriorityClass is { } priority)
        {
            select.Set("@priority", priority);
        }

        var first = claimed.Count;
        try
        {
            select.Start();
            while (select.Read())
            {
                claimed.Add(ReadClaimed(select, attemptOffset: 1, token, until));
            }
        }
        finally
        {
            select.Finish();
        }

        var take = Raw(JobSql.ClaimById, tx);
        take.Set("@owner", owner);
        take.Set("@token", token);
        take.Set("@until", until);
        take.Set("@now", now);
        var id = take.Slot("@id");
        for (var i = first; i < claimed.Count; i++)
        {
            take.Set(id, claimed[i].Id);
            if (take.ExecuteNonQuery() != 1)
            {
                throw new InvalidOperationException($"Job {claimed[i].Id} was read as pending but could not be claimed.");
            }
        }
    }

    /// <summary>The statement for a step: the per-class one when it names a priority class, else the one for its order.</summary>
    private static string ForStep(ClaimStep step, string inClass, string fifo, string lifo, string priority) =>
        step.PriorityClass is not null ? inClass : step.Order switch
        {
            ClaimOrder.Fifo => fifo,
            ClaimOrder.Lifo => lifo,
            ClaimOrder.Priority => priority,
            _ => throw new ArgumentOutOfRangeException(nameof(step), step.Order, "Unknown claim order."),
        };

    private ClaimedJob ReadClaimed(RawCommand row, int attemptOffset, long token, long until) => new(
        id: row.Int64(0),
        queue: row.Text(1),
        type: row.Text(2),
        payloadJson: row.Text(3),
        priority: row.Int32(4),
        attempt: row.Int32(5) + attemptOffset,
        maxAttempts: row.Int32(6),
        timeout: row.IsNull(7) ? null : TimeSpan.FromMilliseconds(row.Int64(7)),
        createdAt: Times.FromMs(row.Int64(8)),
        leaseToken: token,
        leaseExpiresAt: Times.FromMs(until),
        json: Options.JsonSerializerOptions);

    // ---- reads ----

    /// <summary>
    /// SQLite's count of commits by other connections, read on a connection kept for this purpose: an idle worker
    /// compares it to notice another process's enqueue for the price of one PRAGMA.
    /// </summary>
    public long ReadDataVersion()
    {
        if (IsMemory)
        {
            return 0;
        }

        lock (_watchLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_watchVersion is null)
            {
                // Kept, so the statement is prepared once: an idle worker runs it every poll interval.
                _watch = _connections.OpenReader();
                _watchVersion = _watch.CreateCommand();
                _watchVersion.CommandText = "PRAGMA data_version;";
            }

            return Convert.ToInt64(_watchVersion.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The earliest run-at of a pending job on <paramref name="queues"/> or lease expiry of any running job.</summary>
    public Task<long?> NextDueAsync(IReadOnlyList<string> queues, CancellationToken cancellationToken) =>
        ReadAsync(queues, static (s, c, qs) =>
        {
            long? due = c.ExecuteScalar<long?>(new CommandDefinition(s.Sql[JobSql.NextLeaseExpiry]));
            foreach (var queue in qs)
            {
                var next = c.ExecuteScalar<long?>(new CommandDefinition(s.Sql[JobSql.NextRunAt], new { queue }));
                if (next is { } n && (due is null || n < due))
                {
                    due = n;
                }
            }

            return due;
        }, cancellationToken);

    public static JobInfo? GetJob(JobStore store, SqliteConnection connection, long id) =>
        connection.QueryFirstOrDefault<JobRow>(new CommandDefinition(store.Sql[JobSql.GetJob], new { id }))?.ToJobInfo();

    // ---- connection plumbing ----

    private SqliteConnection Writer => _writer ?? throw new InvalidOperationException("The store is not initialized.");

    private SqliteConnection EnsureWriter()
    {
        if (_writer is not null)
        {
            return _writer;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        SqliteConnection connection;
        try
        {
            connection = _connections.OpenRaw();
        }
        catch (SqliteException ex) when (!IsBusy(ex))
        {
            throw new SqliteQueueException($"The queue database '{DataSource}' could not be opened: {ex.Message}", ex);
        }

        try
        {
            Migrator.CheckCompatible(connection, DataSource);
            _connections.ApplyWriterPragmas(connection);
            Migrator.Migrate(connection, Sql, _logger);
            _writer = connection;
            if (!IsMemory)
            {
                _checkpointer = Task.Run(CheckpointLoopAsync);
            }

            _initialized = true;
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Hot statements are prepared once on the writer and reused, through SQLite's C API (see <see cref="RawCommand"/>).</summary>
    private RawCommand Raw(string template, SqliteTransaction tx)
    {
        // The transaction is the writer's current one; raw statements run inside it by construction.
        _ = tx;
        if (!_raw.TryGetValue(template, out var command))
        {
            command = new RawCommand(Writer, Sql[template]);
            _raw[template] = command;
        }

        return command;
    }

    /// <summary>
    /// Checkpoints run on their own connection, off the commit path: SQLite's automatic checkpoint would otherwise
    /// copy the WAL back into the file (and sync it) inside whichever commit crosses the threshold, adding
    /// milliseconds to that caller. The writer's own automatic checkpoint stays on as a safety net, at a size
    /// this loop keeps the WAL well below.
    /// </summary>
    private void NoteCommit(SqliteConnection writer)
    {
        // Rows changed approximate pages written; only the writer (under the gate) reads and updates the mark.
        var changes = SQLitePCL.raw.sqlite3_total_changes(writer.Handle);
        if (IsMemory || changes - _changesAtCheckpoint < CheckpointEveryChanges)
        {
            return;
        }

        _changesAtCheckpoint = changes;
        if (_checkpointSignal.CurrentCount == 0)
        {
            try
            {
                _checkpointSignal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    private async Task CheckpointLoopAsync()
    {
        SqliteConnection? connection = null;
        try
        {
            while (true)
            {
                await _checkpointSignal.WaitAsync(_checkpointStop.Token).ConfigureAwait(false);
                try
                {
                    connection ??= _connections.OpenReader();
                    ConnectionFactory.Execute(connection, "PRAGMA wal_checkpoint(PASSIVE);");
                }
                catch (SqliteException ex)
                {
                    // A checkpoint that cannot run now runs at the next signal; the writer's own one is the backstop.
                    _logger.CheckpointFailed(ex, DataSource);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The store is being disposed.
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private static bool IsBusy(SqliteException ex) => ex.SqliteErrorCode is SqliteBusy or SqliteLocked;

    public void Dispose()
    {
        lock (_pending)
        {
            if (_disposed)
            {
                return;
            }
        }

        List<WriteItem> abandoned;
        lock (_pending)
        {
            _disposed = true;
            abandoned = [.. _pending, .. _parked.Select(p => p.Item)];
            _pending.Clear();
            _parked.Clear();
        }

        foreach (var item in abandoned)
        {
            item.Fail(new ObjectDisposedException(nameof(SqliteJobQueue)));
        }

        _checkpointStop.Cancel();
        try
        {
            _checkpointer?.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // The loop logs its own failures.
        }

        _gate.Wait();
        try
        {
            foreach (var command in _raw.Values)
            {
                command.Dispose();
            }

            _raw.Clear();
            _savepoint?.Dispose();
            _release?.Dispose();
            _rollbackTo?.Dispose();
            lock (_watchLock)
            {
                _watchVersion?.Dispose();
                _watchVersion = null;
                _watch?.Dispose();
                _watch = null;
            }

            if (_writer is not null)
            {
                // Pooled connections would keep the file open after the store is gone.
                SqliteConnection.ClearPool(_writer);
                _writer.Dispose();
                _writer = null;
            }

            _connections.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One queued write: runs inside the leader's transaction, publishes its result after the commit.</summary>
internal abstract class WriteItem
{
    /// <summary>The queue this write makes jobs due on, if any; see <see cref="JobStore.ParkClaim"/>.</summary>
    public string? Wakes { get; init; }

    public abstract bool IsDone { get; }

    public abstract void Run(JobStore store, SqliteTransaction tx);

    public abstract void Reset();

    public abstract void Publish();

    public abstract void Fail(Exception ex);
}

internal abstract class WriteItem<T> : WriteItem
{
    protected TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => Completion.Task;

    public override bool IsDone => Completion.Task.IsCompleted;
}

internal sealed class WriteItem<TState, T>(TState state, Func<JobStore, SqliteTransaction, TState, T> work) : WriteItem<T>
{
    private bool _ran;
    private bool _failed;
    private T _result = default!;

    public override void Run(JobStore store, SqliteTransaction tx)
    {
        _result = work(store, tx, state);
        _ran = true;
    }

    public override void Reset()
    {
        _ran = false;
        _failed = false;
    }

    public override void Publish()
    {
        if (_ran && !_failed)
        {
            Completion.TrySetResult(_result);
        }
    }

    public override void Fail(Exception ex)
    {
        _failed = true;
        Completion.TrySetException(ex);
    }
}

/// <summary>A claim waiting in the store for a commit that makes work due; see <see cref="JobStore.ParkClaim"/>.</summary>
internal sealed class ParkedClaim(ClaimArgs args)
{
    public WriteItem<ClaimArgs, List<ClaimedJob>> Item { get; } = new(args, static (s, tx, a) => s.Claim(tx, a));

    /// <summary>The jobs claimed, once a commit has run the claim (it fails if that commit failed: nothing is then held).</summary>
    public Task<List<ClaimedJob>> Claimed => Item.Task;

    public bool Covers(string queue)
    {
        foreach (var mine in args.Queues)
        {
            if (string.Equals(mine, queue, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The runnable priority classes of one queue as listed at <see cref="ListedAt"/>; see <c>JobStore.RunnableClasses</c>.</summary>
/// <param name="Runnable">The classes with a job due at <see cref="ListedAt"/>, ascending.</param>
/// <param name="DataVersion">The writer's <c>PRAGMA data_version</c> when listed.</param>
/// <param name="ListedAt">When listed, store time in Unix milliseconds.</param>
/// <param name="ValidUntil">When a listed pending job that was not due yet comes due, or the list's lifetime ends.</param>
internal sealed record PriorityClassList(IReadOnlyList<int> Runnable, long DataVersion, long ListedAt, long ValidUntil);
