using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// SQLite's count of commits by other connections, read on a connection kept for this purpose: an idle worker
/// compares it to notice another process's enqueue for the price of one PRAGMA.
/// </summary>
internal sealed class DataVersionWatch(ConnectionFactory connections) : IDisposable
{
    private readonly Lock _lock = new();
    private SqliteConnection? _watch;
    private SqliteCommand? _version;
    private bool _disposed;

    public long Read()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_version is null)
            {
                // Kept, so the statement is prepared once: an idle worker runs it every poll interval.
                _watch = connections.OpenReader();
                _version = _watch.CreateCommand();
                _version.CommandText = "PRAGMA data_version;";
            }

            return Convert.ToInt64(_version.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _version?.Dispose();
            _version = null;
            _watch?.Dispose();
            _watch = null;
        }
    }
}
