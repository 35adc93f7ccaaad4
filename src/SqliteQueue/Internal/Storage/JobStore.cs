using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Internal.Storage;

/// <summary>A job to insert, already validated.</summary>
internal readonly record struct JobInsert(
    string Queue, string Type, string Payload, int Priority, long RunAtMs, int MaxAttempts, long? TimeoutMs, string? DedupKey);

/// <summary>
/// The only code that touches SQL, and the one way to the queue file. Writes pass through <see cref="GroupCommit"/>
/// onto one long-lived writer connection, with the hot statements prepared once (<see cref="RawCommand"/>); claims
/// run in <see cref="ClaimEngine"/>; reads use short-lived pooled connections beside the writer (WAL); checkpoints
/// run off the commit path (<see cref="Checkpointer"/>) and other processes' commits are noticed through
/// <see cref="DataVersionWatch"/>.
/// </summary>
internal sealed class JobStore : IDisposable, IAsyncDisposable
{
    private readonly ConnectionFactory _connections;
    private readonly ILogger _logger;
    private readonly GroupCommit _commit;
    private readonly Checkpointer _checkpointer;
    private readonly DataVersionWatch _watch;
    private readonly Dictionary<string, RawCommand> _raw = new(ReferenceEqualityComparer.Instance);
    private SqliteConnection? _writer;
    private volatile bool _initialized;
    private volatile bool _disposed;

    public JobStore(SqliteQueueOptions options, TimeProvider time, ILogger logger)
    {
        Options = options;
        Time = time;
        _logger = logger;
        _connections = new ConnectionFactory(options);
        Sql = new SqlText(options.TablePrefix);
        _commit = new GroupCommit(this, options, logger);
        Claims = new ClaimEngine(this, logger);
        _checkpointer = new Checkpointer(_connections, logger);
        _watch = new DataVersionWatch(_connections);
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

    /// <summary>Opens connections to this store's file with its PRAGMAs (maintenance opens its own, beside the writer).</summary>
    public ConnectionFactory Connections => _connections;

    public bool IsMemory => _connections.IsMemory;

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The finished-job count changes of the transaction being built (see <see cref="FinishedCounts"/>).</summary>
    public FinishedCounts Counts { get; } = new();

    /// <summary>The claims, run inside this store's transactions.</summary>
    public ClaimEngine Claims { get; }

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
    public Task<T> WriteAsync<TState, T>(TState state, Func<JobStore, SqliteTransaction, TState, T> work, string? wakes, CancellationToken cancellationToken) =>
        _commit.WriteAsync(state, work, wakes, cancellationToken);

    /// <inheritdoc cref="GroupCommit.ExclusiveAsync"/>
    public Task<T> ExclusiveAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken) => _commit.ExclusiveAsync(work, cancellationToken);

    /// <summary>The queue name, for a write that makes jobs due on several queues.</summary>
    public const string AnyQueue = GroupCommit.AnyQueue;

    /// <inheritdoc cref="GroupCommit.ParkClaim"/>
    public ParkedClaim ParkClaim(ClaimArgs args) => _commit.ParkClaim(args);

    /// <inheritdoc cref="GroupCommit.WaitingWrites"/>
    public int WaitingWrites => _commit.WaitingWrites;

    /// <inheritdoc cref="GroupCommit.ParkedClaims"/>
    public int ParkedClaims => _commit.ParkedClaims;

    /// <inheritdoc cref="GroupCommit.TryUnpark"/>
    public bool TryUnpark(ParkedClaim claim) => _commit.TryUnpark(claim);

    /// <summary>Runs a read on a short-lived connection (or on the writer, for a memory database).</summary>
    public async Task<T> ReadAsync<TState, T>(TState state, Func<JobStore, SqliteConnection, TState, T> read, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (IsMemory)
        {
            await _commit.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return read(this, EnsureWriter(), state);
            }
            catch (SqliteException ex)
            {
                throw StoreErrors.Translate(ex, DataSource);
            }
            finally
            {
                _commit.Gate.Release();
            }
        }

        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            using var connection = _connections.OpenReader();
            return read(this, connection, state);
        }
        catch (SqliteException ex)
        {
            throw StoreErrors.Translate(ex, DataSource);
        }
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
        Claims.NotePending(job.Queue, job.Priority, job.RunAtMs);
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
            Claims.NotePending(job.Queue, job.Priority, job.RunAtMs);
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

    public CancelResult Cancel(SqliteTransaction tx, long id, long now)
    {
        var c = Writer.QueryFirstOrDefault<(string? State, string Queue)>(new CommandDefinition(Sql[JobSql.CancelJob], new { id, now }, tx));
        if (c.State is not null)
        {
            Counts.Add(c.Queue, c.State, +1);
            return c.State == States.Cancelled ? CancelResult.Cancelled : CancelResult.CancellationRequested;
        }

        return Writer.ExecuteScalar<long>(new CommandDefinition(Sql[JobSql.JobExists], new { id }, tx)) != 0
            ? CancelResult.AlreadyFinished
            : CancelResult.NotFound;
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

    // ---- reads ----

    /// <summary>
    /// SQLite's count of commits by other connections (see <see cref="DataVersionWatch"/>); always 0 for a memory
    /// database, which no other process can reach.
    /// </summary>
    public long ReadDataVersion()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return IsMemory ? 0 : _watch.Read();
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

    /// <summary>The writer connection, opened, checked and migrated on first use (under the gate).</summary>
    public SqliteConnection EnsureWriter()
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
        catch (SqliteException ex) when (!StoreErrors.IsBusy(ex))
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
                _checkpointer.Start();
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
    public RawCommand Raw(string template, SqliteTransaction tx)
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

    /// <summary>A transaction committed on the writer (called by <see cref="GroupCommit"/>, under the gate).</summary>
    public void Committed(SqliteConnection writer)
    {
        if (!IsMemory)
        {
            _checkpointer.NoteCommit(writer);
        }

        Claims.Committed();
    }

    /// <summary>A transaction on the writer is about to commit: what it changed in the counts joins it.</summary>
    public void Committing(SqliteTransaction tx) => Counts.Flush(this, tx);

    /// <summary>A transaction on the writer was rolled back (called by <see cref="GroupCommit"/>, under the gate).</summary>
    public void RolledBack()
    {
        Claims.RolledBack();
        Counts.Clear();
    }

    public void Dispose()
    {
        if (!_commit.Close())
        {
            return;
        }

        _disposed = true;
        _checkpointer.Dispose();
        _commit.Gate.Wait();
        try
        {
            foreach (var command in _raw.Values)
            {
                command.Dispose();
            }

            _raw.Clear();
            _commit.DisposeStatements();
            _watch.Dispose();
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
            _commit.Gate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
