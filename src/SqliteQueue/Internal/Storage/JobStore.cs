using System.Diagnostics.Metrics;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Internal.Wake;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// The only code that touches SQL, and the one way to the queue file. Writes pass through <see cref="GroupCommit"/>
/// onto one long-lived writer connection, with the hot statements prepared once (<see cref="RawCommand"/>); claims
/// run in <see cref="ClaimEngine"/>; reads use short-lived pooled connections beside the writer (WAL); checkpoints
/// run off the commit path (<see cref="Checkpointer"/>) and other processes' commits are noticed through
/// <see cref="DataVersionWatch"/>.
/// </summary>
internal sealed partial class JobStore : IDisposable, IAsyncDisposable
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

    public JobStore(SqliteQueueOptions options, TimeProvider time, ILogger logger, IMeterFactory? meterFactory = null)
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
        Metrics = new QueueMetrics(new StoreGauges(this), meterFactory);
        Wake = new WakeFile(() => FilePath, DataSource, options.CrossProcessWake && !IsMemory, logger);
        Available = new ChangeNotifier(Wake.Touch);
    }

    public SqliteQueueOptions Options { get; }

    public TimeProvider Time { get; }

    public SqlText Sql { get; }

    public ChangeNotifier Changes { get; } = new();

    /// <summary>
    /// Pulsed after a commit that may have made jobs claimable (enqueue, retry, release): wakes this process's idle
    /// workers at once, and other processes' through <see cref="Wake"/>.
    /// </summary>
    public ChangeNotifier Available { get; }

    /// <summary>The wake-up file other processes' commits signal this process's idle workers through, and back.</summary>
    public WakeFile Wake { get; }

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

    /// <summary>The observers of this store's job lifecycle, called after each change is committed.</summary>
    public SqliteQueue.Internal.Events.JobEvents Events { get; } = new();

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
    /// claims parked on that queue run in the same transaction, after it. <c>committed</c>, when given, is called with
    /// the result once committed, before later writes of the same commit are published (see <see cref="WriteItem{TState, T}.Committed"/>).
    /// </summary>
    public Task<T> WriteAsync<TState, T>(
        TState state, Func<JobStore, SqliteTransaction, TState, T> work, string? wakes, CancellationToken cancellationToken, Action<T>? committed = null) =>
        _commit.WriteAsync(state, work, wakes, cancellationToken, committed);

    /// <inheritdoc cref="GroupCommit.TryWriteAlone"/>
    public bool TryWriteAlone<TState, T>(TState state, Func<JobStore, TState, T> work, string? wakes, Action<TState, T>? committed, out T result) =>
        _commit.TryWriteAlone(state, work, wakes, committed, out result);

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
            FilePath = SqliteQueue.Internal.Maintenance.StorageFiles.DatabasePath(connection);
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

    /// <summary>
    /// Hot statements are prepared once on the writer and reused, through SQLite's C API (see <see cref="RawCommand"/>).
    /// <paramref name="tx"/> is null in a transaction begun through the C API too (<see cref="GroupCommit.TryWriteAlone"/>).
    /// </summary>
    public RawCommand Raw(string template, SqliteTransaction? tx)
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
        Metrics.Dispose();
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
            Wake.Dispose();
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
