using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// The store's write path: every write of this process passes one async gate onto the one writer connection, in a
/// <c>BEGIN IMMEDIATE</c> transaction. Writes that arrive while another is being committed are group-committed:
/// the next leader runs all of them in one transaction, each under its own savepoint, so one item's failure undoes
/// only that item; every caller returns once its own write is committed. A write that finds the file locked by
/// another process past <c>busy_timeout</c> is retried whole, never half-applied. Claims parked by idle workers
/// ride in the commit of a write that makes their jobs due.
/// </summary>
#pragma warning disable CA1001 // The gate's wait handle is never created; the store disposes what holds resources.
internal sealed partial class GroupCommit(JobStore store, SqliteQueueOptions options, ILogger logger)
#pragma warning restore CA1001
{
    private const int MaxGroup = 512;

    private readonly JobStore _store = store;
    private readonly SqliteQueueOptions _options = options;
    private readonly ILogger _logger = logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<WriteItem> _pending = [];
    private readonly List<ParkedClaim> _parked = []; // guarded by _pending's lock, as is everything the leader hands over
    private bool _leaderActive;
    private bool _disposed;
    private SqliteCommand? _savepoint;
    private SqliteCommand? _release;
    private SqliteCommand? _rollbackTo;

    /// <summary>Held while the writer connection is in use: by each batch, and by reads of a memory database.</summary>
    public SemaphoreSlim Gate => _gate;

    /// <summary>
    /// As <see cref="JobStore.WriteAsync{TState, T}(TState, Func{JobStore, SqliteTransaction, TState, T}, CancellationToken)"/>, for
    /// a write that makes jobs due now on the queue <paramref name="wakes"/> (<see cref="AnyQueue"/> for several):
    /// claims parked on that queue run in the same transaction, after it.
    /// </summary>
    public Task<T> WriteAsync<TState, T>(
        TState state, Func<JobStore, SqliteTransaction, TState, T> work, string? wakes, CancellationToken cancellationToken, Action<T>? committed = null)
        => Submit(new WriteItem<TState, T>(state, work) { Wakes = wakes, Committed = committed }, cancellationToken);

    /// <summary>Queues a write of any kind (a <see cref="CompletionWrite"/>, say) for the next commit; see <see cref="WriteAsync{TState, T}"/>.</summary>
    public Task<T> Submit<T>(WriteItem<T> item, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        bool lead;
        lock (_pending)
        {
            ObjectDisposedException.ThrowIf(_disposed, _store);
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

                var take = _options.GroupCommit ? Math.Min(_pending.Count, MaxGroup) : 1;
                batch = _pending.GetRange(0, take);
                _pending.RemoveRange(0, take);
                if (_parked.Count > 0 && _options.GroupCommit)
                {
                    AttachParkedClaims(batch);
                }
            }

            await RunBatchAsync(batch).ConfigureAwait(false);
        }
    }

    /// <summary>The queue name, for <see cref="WriteAsync{TState, T}(TState, Func{JobStore, SqliteTransaction, TState, T}, string?, CancellationToken, Action{T}?)"/>, of a write that makes jobs due on several queues.</summary>
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
            ObjectDisposedException.ThrowIf(_disposed, _store);
            _parked.Add(claim);
        }

        return claim;
    }

    /// <summary>How many writes are waiting for the next commit now.</summary>
    public int WaitingWrites
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
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
            // The write lock is waited for in BEGIN IMMEDIATE (busy_timeout) and across busy retries: measured in real
            // time, as the other connection holding it lives there.
            var metrics = _store.Metrics;
            long waitStart = 0, began = 0;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var writer = _store.EnsureWriter();
                    if (waitStart == 0 && metrics.LockWaitEnabled)
                    {
                        waitStart = Stopwatch.GetTimestamp();
                    }

                    using var tx = writer.BeginTransaction();
                    if (waitStart != 0)
                    {
                        began = Stopwatch.GetTimestamp();
                    }

                    if (batch.Count == 1)
                    {
                        batch[0].Run(_store, tx);
                    }
                    else
                    {
                        for (var i = 0; i < batch.Count;)
                        {
                            var completions = CompletionsFrom(batch, i);
                            if (completions > 1)
                            {
                                RunCompletionsIsolated(batch, i, completions, writer, tx);
                                i += completions;
                            }
                            else
                            {
                                RunIsolated(batch[i++], writer, tx);
                            }
                        }
                    }

                    _store.Committing(tx);
                    tx.Commit();
                    _store.Committed(writer);
                    if (waitStart != 0)
                    {
                        metrics.LockWaited(Stopwatch.GetElapsedTime(waitStart, began).TotalSeconds);
                    }

                    metrics.WriteBatch(batch.Count);
                    break;
                }
                catch (SqliteException ex) when (StoreErrors.IsBusy(ex))
                {
                    _store.RolledBack();
                    if (attempt > _options.BusyRetries)
                    {
                        var busy = new QueueBusyException(Errors.Busy(_store.DataSource, attempt), ex);
                        foreach (var item in batch)
                        {
                            item.Fail(busy);
                        }

                        return;
                    }

                    _logger.StoreBusy(_store.DataSource, attempt, _options.BusyRetries);
                    foreach (var item in batch)
                    {
                        item.Reset();
                    }

                    // The lock is held by another connection, which lives in real time; an injected test clock
                    // that never moves must not turn this pause into a hang.
                    await Task.Delay(TimeSpan.FromMilliseconds(25 * attempt), TimeProvider.System).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // The transaction itself failed (or its only item did): every item shares the outcome.
                    _store.RolledBack();
                    var failure = StoreErrors.Translate(ex, _store.DataSource);
                    foreach (var item in batch)
                    {
                        item.Fail(failure);
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

    /// <summary>
    /// Runs <paramref name="work"/> on the writer outside any transaction, with no other write of this process beside it:
    /// for statements SQLite refuses inside one (VACUUM). Another process's lock is waited for by busy_timeout.
    /// </summary>
    public async Task<T> ExclusiveAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_pending)
            {
                ObjectDisposedException.ThrowIf(_disposed, _store);
            }

            return work(_store.EnsureWriter());
        }
        catch (Exception ex)
        {
            throw StoreErrors.Translate(ex, _store.DataSource);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void RunIsolated(WriteItem item, SqliteConnection writer, SqliteTransaction tx)
    {
        Savepoint(ref _savepoint, "SAVEPOINT item;", writer, tx);
        var mark = _store.Claims.Mark;
        var counted = _store.Counts.Mark;
        try
        {
            item.Run(_store, tx);
            Savepoint(ref _release, "RELEASE item;", writer, tx);
        }
        catch (SqliteException ex) when (StoreErrors.IsBusy(ex))
        {
            throw;
        }
        catch (Exception ex)
        {
            // What the item wrote is undone, but a class list taken inside it would still show it.
            _store.Claims.RolledBackTo(mark);
            _store.Counts.RolledBackTo(counted);
            Savepoint(ref _rollbackTo, "ROLLBACK TO item;", writer, tx);
            Savepoint(ref _release, "RELEASE item;", writer, tx);
            item.Fail(StoreErrors.Translate(ex, _store.DataSource));
        }
    }

    /// <summary>How many completion writes follow each other in <paramref name="batch"/> from <paramref name="start"/>.</summary>
    private static int CompletionsFrom(List<WriteItem> batch, int start)
    {
        var end = start;
        while (end < batch.Count && batch[end] is CompletionWrite)
        {
            end++;
        }

        return end - start;
    }

    /// <summary>
    /// Runs neighbouring completion writes together under one savepoint (see <see cref="CompletionWrite.RunTogether"/>).
    /// Only neighbours are joined, so no write moves past a write of another kind that may depend on it. When the
    /// joint run fails, it is undone and each write runs alone, as any write does, so one bad write fails only itself.
    /// </summary>
    private void RunCompletionsIsolated(List<WriteItem> batch, int start, int count, SqliteConnection writer, SqliteTransaction tx)
    {
        Savepoint(ref _savepoint, "SAVEPOINT item;", writer, tx);
        var mark = _store.Claims.Mark;
        var counted = _store.Counts.Mark;
        try
        {
            CompletionWrite.RunTogether(_store, tx, batch, start, count);
            Savepoint(ref _release, "RELEASE item;", writer, tx);
            return;
        }
        catch (SqliteException ex) when (StoreErrors.IsBusy(ex))
        {
            throw;
        }
        catch (Exception)
        {
            _store.Claims.RolledBackTo(mark);
            _store.Counts.RolledBackTo(counted);
            Savepoint(ref _rollbackTo, "ROLLBACK TO item;", writer, tx);
            Savepoint(ref _release, "RELEASE item;", writer, tx);
        }

        for (var i = start; i < start + count; i++)
        {
            RunIsolated(batch[i], writer, tx);
        }
    }

    private static void Savepoint(ref SqliteCommand? command, string sql, SqliteConnection writer, SqliteTransaction tx)
    {
        if (command is null)
        {
            command = writer.CreateCommand();
            command.CommandText = sql;
            command.Prepare();
        }

        command.Transaction = tx;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Refuses new writes and fails every write and parked claim still waiting; the caller then waits for the gate,
    /// so a batch being committed finishes first.
    /// </summary>
    /// <returns>False when this was done before.</returns>
    public bool Close()
    {
        List<WriteItem> abandoned;
        lock (_pending)
        {
            if (_disposed)
            {
                return false;
            }

            _disposed = true;
            abandoned = [.. _pending, .. _parked.Select(p => p.Item)];
            _pending.Clear();
            _parked.Clear();
        }

        foreach (var item in abandoned)
        {
            item.Fail(new ObjectDisposedException(nameof(SqliteJobQueue)));
        }

        return true;
    }

    /// <summary>Frees the savepoint statements; called under the gate, after <see cref="Close"/>.</summary>
    public void DisposeStatements()
    {
        _savepoint?.Dispose();
        _release?.Dispose();
        _rollbackTo?.Dispose();
        DisposeAloneStatements();
    }
}
