using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// Checkpoints run on their own connection, off the commit path: SQLite's automatic checkpoint would otherwise
/// copy the WAL back into the file (and sync it) inside whichever commit crosses the threshold, adding
/// milliseconds to that caller. The writer's own automatic checkpoint (<see cref="SqliteQueueOptions.WalAutoCheckpointPages"/>)
/// stays on as a safety net, at a size this loop keeps the WAL well below, unless the option turns it off.
/// </summary>
#pragma warning disable CA1001 // Nothing here holds a handle: a commit may still signal while the store is being disposed.
internal sealed class Checkpointer(ConnectionFactory connections, ILogger logger) : IDisposable
#pragma warning restore CA1001
{
    private const int CheckpointEveryChanges = 2000;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _changesAtCheckpoint;

    /// <summary>Starts the loop; called once, when the writer has opened the file.</summary>
    public void Start() => _loop = Task.Run(CheckpointLoopAsync);

    /// <summary>A transaction has committed on <paramref name="writer"/> (called by the writer, under the gate).</summary>
    public void NoteCommit(SqliteConnection writer)
    {
        // Rows changed approximate pages written; only the writer (under the gate) reads and updates the mark.
        var changes = SQLitePCL.raw.sqlite3_total_changes(writer.Handle);
        if (changes - _changesAtCheckpoint < CheckpointEveryChanges)
        {
            return;
        }

        _changesAtCheckpoint = changes;
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
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
                await _signal.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    connection ??= connections.OpenReader();
                    ConnectionFactory.Execute(connection, "PRAGMA wal_checkpoint(PASSIVE);");
                }
                catch (SqliteException ex)
                {
                    // A checkpoint that cannot run now runs at the next signal; the writer's own one is the backstop.
                    logger.CheckpointFailed(ex, connections.DataSource);
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

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // The loop logs its own failures.
        }

    }
}
