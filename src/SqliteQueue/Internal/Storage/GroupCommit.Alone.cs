using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// The write that finds the writer free: run at once on the caller's thread, in a transaction begun and committed
/// through SQLite's C API by statements prepared once. Microsoft.Data.Sqlite's <c>BeginTransaction</c> and
/// <c>Commit</c> each build a command, prepare the statement again and set a rollback hook: about 1.2 KB and 10 µs
/// per transaction here, as much as the rest of a one-job enqueue. Only work made of <see cref="RawCommand"/>s can
/// run this way (it gets no <see cref="SqliteTransaction"/> to hand to other commands).
/// </summary>
#pragma warning disable CA1001 // As in GroupCommit.cs: the gate's wait handle is never created.
internal sealed partial class GroupCommit
#pragma warning restore CA1001
{
    private RawCommand? _beginImmediate;
    private RawCommand? _commit;
    private RawCommand? _rollback;

    /// <summary>
    /// Runs <paramref name="work"/> alone in its own transaction now, when no other write of this process is being
    /// committed or waiting and no parked claim waits for the queue it makes jobs due on (<paramref name="wakes"/>: those
    /// claims ride in a group commit instead). <paramref name="committed"/> is called once it has committed, before the
    /// writer is let go, as <see cref="WriteItem{TState, T}.Committed"/> is. Work that changes the finished counts
    /// cannot run here.
    /// </summary>
    /// <returns>
    /// False, with nothing written, when the writer was busy in this process or the file was locked by another past
    /// <c>busy_timeout</c>: the caller then queues the write (<see cref="WriteAsync"/>), which waits or retries.
    /// </returns>
    /// <exception cref="SqliteQueueException">The write failed; nothing of it was committed.</exception>
    public bool TryWriteAlone<TState, T>(TState state, Func<JobStore, TState, T> work, string? wakes, Action<TState, T>? committed, out T result)
    {
        result = default!;
        lock (_pending)
        {
            ObjectDisposedException.ThrowIf(_disposed, _store);
            if (_leaderActive || (wakes is not null && _parked.Count > 0))
            {
                return false;
            }

            // The writes that arrive meanwhile queue behind this one, as behind any leader.
            _leaderActive = true;
        }

        try
        {
            // Held by a read of a memory database or an exclusive operation: queue like any other write.
            if (!_gate.Wait(0))
            {
                return false;
            }

            try
            {
                if (!RunAlone(state, work, out result))
                {
                    return false;
                }

                committed?.Invoke(state, result);
                return true;
            }
            finally
            {
                _gate.Release();
            }
        }
        finally
        {
            HandOver();
        }
    }

    /// <summary>Leaves leadership, starting a leader on a pool thread for the writes that queued meanwhile.</summary>
    private void HandOver()
    {
        lock (_pending)
        {
            if (_pending.Count == 0)
            {
                _leaderActive = false;
            }
            else
            {
                _ = Task.Run(() => LeadAsync(null));
            }
        }
    }

    private bool RunAlone<TState, T>(TState state, Func<JobStore, TState, T> work, out T result)
    {
        result = default!;
        var metrics = _store.Metrics;
        long waitStart = 0, began = 0;
        var begun = false;
        try
        {
            var writer = _store.EnsureWriter();
            _beginImmediate ??= new RawCommand(writer, "BEGIN IMMEDIATE;");
            _commit ??= new RawCommand(writer, "COMMIT;");
            _rollback ??= new RawCommand(writer, "ROLLBACK;");
            if (metrics.LockWaitEnabled)
            {
                waitStart = Stopwatch.GetTimestamp();
            }

            _beginImmediate.ExecuteNonQuery();
            begun = true;
            if (waitStart != 0)
            {
                began = Stopwatch.GetTimestamp();
            }

            result = work(_store, state);
            Debug.Assert(_store.Counts.Mark == 0, "Work run alone changed the finished counts, which only a group commit writes.");
            _commit.ExecuteNonQuery();
            begun = false;
            _store.Committed(writer);
        }
        catch (Exception ex)
        {
            if (begun)
            {
                RollBackAlone();
            }

            _store.RolledBack();
            if (ex is SqliteException sqlite && StoreErrors.IsBusy(sqlite))
            {
                // Another process holds the file past busy_timeout: the queued path waits and retries the whole write.
                return false;
            }

            throw StoreErrors.Translate(ex, _store.DataSource);
        }

        if (waitStart != 0)
        {
            metrics.LockWaited(Stopwatch.GetElapsedTime(waitStart, began).TotalSeconds);
        }

        metrics.WriteBatch(1);
        return true;
    }

    private void RollBackAlone()
    {
        // A failed COMMIT may have ended the transaction already (SQLite then refuses a ROLLBACK): ask first. The
        // failure being handled is the one the caller hears of, not a refusal here.
        try
        {
            if (SQLitePCL.raw.sqlite3_get_autocommit(_store.EnsureWriter().Handle) == 0)
            {
                _rollback!.ExecuteNonQuery();
            }
        }
        catch (SqliteException)
        {
        }
    }

    private void DisposeAloneStatements()
    {
        _beginImmediate?.Dispose();
        _commit?.Dispose();
        _rollback?.Dispose();
    }
}
