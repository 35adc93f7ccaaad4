using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace SqliteQueue.Internal.Wake;

/// <summary>
/// Tells idle workers in other processes on this machine that jobs may have become claimable, without them polling:
/// after a commit that makes work available, this process writes a few bytes to a small file in a folder of its own
/// next to the database (<c>&lt;database&gt;-wake/signal</c>), and a process with a waiting worker watches that folder
/// with a <see cref="FileSystemWatcher"/> (inotify on Linux, ReadDirectoryChangesW on Windows, FSEvents on macOS).
/// </summary>
/// <remarks>
/// <para>
/// The file has a folder to itself because a watch covers a whole folder: beside the database it would also report
/// every write to the WAL and to any other file there (a shared temp folder, a log folder), each one waking the
/// watcher's thread of an idle process. Measured on a busy <c>/tmp</c>, that cost an idle worker 2.5 to 5 % of a core.
/// </para>
/// <para>
/// Each store writes its own 16-byte slot of the file, and a watcher reads the file on every change and passes on only
/// what another store wrote: a process's own enqueues already woke its workers through the in-process notifier, and
/// beside a busy producer a worker idle on another queue would otherwise read the due time once more per enqueue
/// (measured at 0.76 of the producer's rate). The signal only says "look again": a waiter reads the due time before it
/// claims, so a wake that brings nothing (a job another worker already took) costs a read, never a write. Anything that goes wrong with the
/// file (a read-only folder, a file where its folder should be, a file system without change notifications, the
/// watch limit) is logged once and the signal is dropped: the workers' <c>PRAGMA data_version</c> poll stays, and delivers
/// within a poll interval as it did before.
/// </para>
/// </remarks>
internal sealed class WakeFile : IDisposable
{
    /// <summary>What is appended to the database file's path to name the wake-up file's folder.</summary>
    public const string Suffix = "-wake";

    /// <summary>The wake-up file's name in its folder.</summary>
    public const string FileName = "signal";

    /// <summary>The slots in the file; a store writes the one its token falls in.</summary>
    public const int Slots = 64;

    /// <summary>A slot: the writing store's token, then its sequence number, both little-endian 64-bit integers.</summary>
    public const int SlotBytes = 16;

    private readonly Func<string?> _databasePath;
    private readonly string _dataSource;
    private readonly ILogger _logger;
    private readonly bool _enabled;
    private readonly Lock _lock = new();
    private readonly ChangeNotifier _signals = new();

    // Each store writes its own slot: a token it drew and a sequence number. A watcher reads the file on each change
    // and wakes only for a slot another store wrote, so a process's own enqueues do not wake its idle workers a
    // second time (the in-process notifier already did) however events are merged.
    private readonly long _token = Random.Shared.NextInt64(1, long.MaxValue);
    private readonly Lock _readLock = new();
    private readonly byte[] _seen = new byte[Slots * SlotBytes];
    private readonly byte[] _read = new byte[Slots * SlotBytes];
    private SafeFileHandle? _handle;
    private FileSystemWatcher? _watcher;
    private bool _writeFailed;
    private bool _watchFailed;
    private bool _disposed;
    private int _requests;
    private long _sequence;
    private long _signalsSeen;
    private long _ownIgnored;
    private long _lastWrite;
    private int _trailing;

    /// <param name="databasePath">The database file, once the store has opened it; null for a memory database.</param>
    /// <param name="dataSource">The data source, for log lines.</param>
    /// <param name="enabled">False turns the signal off in both directions (<see cref="SqliteQueueOptions.CrossProcessWake"/>).</param>
    /// <param name="logger">Where the one line about an unusable file goes.</param>
    public WakeFile(Func<string?> databasePath, string dataSource, bool enabled, ILogger logger)
    {
        _databasePath = databasePath;
        _dataSource = dataSource;
        _enabled = enabled;
        _logger = logger;
    }

    /// <summary>The folder of the wake-up file of the database at <paramref name="databasePath"/>.</summary>
    public static string FolderFor(string databasePath) => databasePath + Suffix;

    /// <summary>The wake-up file of the database at <paramref name="databasePath"/>.</summary>
    public static string PathFor(string databasePath) => Path.Combine(FolderFor(databasePath), FileName);

    /// <summary>How many signals from other stores this store's watcher has passed on to its waiting workers.</summary>
    public long SignalsSeen => Interlocked.Read(ref _signalsSeen);

    /// <summary>How many changes of the file this store's watcher saw that were only its own touches, and did not pass on.</summary>
    public long OwnTouchesIgnored => Interlocked.Read(ref _ownIgnored);

    /// <summary>How many times this store has written its slot.</summary>
    public long Writes => Interlocked.Read(ref _sequence);

    /// <summary>
    /// Signals other processes' waiting workers; called after the commit that made work available. Touches that
    /// arrive while one is being written are folded into one more write, and within <see cref="MinimumGap"/> of the
    /// last write into one write at the end of the gap, so a burst of commits costs at most about a thousand writes a
    /// second: each write is a change event in every watching process, its own included. The first commit after a
    /// quiet spell is signalled at once. Never throws: a failure is logged once and the signal is off from then on.
    /// </summary>
    public void Touch()
    {
        if (!_enabled || Volatile.Read(ref _writeFailed))
        {
            return;
        }

        var last = Volatile.Read(ref _lastWrite);
        if (last != 0 && Stopwatch.GetElapsedTime(last) < MinimumGap)
        {
            // One trailing write covers every touch of the gap; it is started by the first of them.
            if (Interlocked.Exchange(ref _trailing, 1) == 0)
            {
                _ = WriteAtEndOfGapAsync(last);
            }

            return;
        }

        WriteFolded();
    }

    /// <summary>The shortest time between two writes of one store, beyond which touches wait for the next one.</summary>
    public static readonly TimeSpan MinimumGap = TimeSpan.FromMilliseconds(1);

    private async Task WriteAtEndOfGapAsync(long last)
    {
        var left = MinimumGap - Stopwatch.GetElapsedTime(last);
        if (left > TimeSpan.Zero)
        {
            // Real time: the gap bounds a rate of file writes, which a test clock has nothing to do with. Whole
            // milliseconds, as a delay shorter than one completes at once.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)), TimeProvider.System).ConfigureAwait(false);
        }

        Volatile.Write(ref _trailing, 0);
        WriteFolded();
    }

    private void WriteFolded()
    {
        // A thread is writing: it writes once more when done, for every touch that came in meanwhile.
        if (Interlocked.Increment(ref _requests) != 1)
        {
            return;
        }

        int seen;
        do
        {
            seen = Volatile.Read(ref _requests);
            Write();
            Volatile.Write(ref _lastWrite, Stopwatch.GetTimestamp());
        }
        while (Interlocked.Add(ref _requests, -seen) != 0);
    }

    /// <summary>
    /// Completes at the next signal seen from any process (this one's included), starting the watch on first use.
    /// Take it before reading the state waited on, as with <see cref="ChangeNotifier.NextChange"/>.
    /// </summary>
    /// <returns>Null when there is no signal to wait for (turned off, a memory database, the watch failed): poll.</returns>
    public Task? NextSignal()
    {
        if (!_enabled || Volatile.Read(ref _watchFailed))
        {
            return null;
        }

        var next = _signals.NextChange;
        if (Volatile.Read(ref _watcher) is null && !StartWatching())
        {
            return null;
        }

        return next;
    }

    private void Write()
    {
        var handle = Volatile.Read(ref _handle) ?? Open();
        if (handle is null)
        {
            return;
        }

        // The token says whose write it is; the sequence number makes every write a change.
        Span<byte> bytes = stackalloc byte[SlotBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, _token);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[sizeof(long)..], Interlocked.Increment(ref _sequence));
        try
        {
            RandomAccess.Write(handle, bytes, OwnSlot * SlotBytes);
        }
        catch (ObjectDisposedException)
        {
            // The store is being disposed: nothing waits on this process's signal any more.
        }
        catch (Exception ex)
        {
            // Whatever it is, it must not reach the caller, whose write is already committed.
            WriteFailed(ex);
        }
    }

    private SafeFileHandle? Open()
    {
        lock (_lock)
        {
            if (_disposed || _writeFailed || _handle is not null)
            {
                return _handle;
            }

            if (_databasePath() is not { } database)
            {
                // A memory database, or one SQLite keeps nowhere: no other process can reach it.
                _writeFailed = true;
                return null;
            }

            try
            {
                // Shared for reading, writing and deleting, so every process keeps its own handle and none blocks the others.
                Directory.CreateDirectory(FolderFor(database));
                _handle = File.OpenHandle(PathFor(database), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                return _handle;
            }
            catch (Exception ex)
            {
                WriteFailed(ex);
                return null;
            }
        }
    }

    private void WriteFailed(Exception ex)
    {
        lock (_lock)
        {
            if (_writeFailed)
            {
                return;
            }

            _writeFailed = true;
        }

        _logger.WakeFileNotWritten(ex, WakePath, _dataSource);
    }

    private bool StartWatching()
    {
        lock (_lock)
        {
            if (_watcher is not null || _watchFailed || _disposed)
            {
                return _watcher is not null;
            }

            if (_databasePath() is not { } database)
            {
                _watchFailed = true;
                return false;
            }

            var path = Path.GetFullPath(PathFor(database));
            FileSystemWatcher? watcher = null;
            try
            {
                // The folder is made here too, as a process may wait before any process has enqueued.
                var folder = Directory.CreateDirectory(Path.GetDirectoryName(path)!).FullName;
                watcher = new FileSystemWatcher(folder, FileName)
                {
                    NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName,
                    IncludeSubdirectories = false,
                };
                watcher.Changed += OnChanged;
                watcher.Created += OnChanged;
                watcher.Error += OnError;

                // Throws here when the watch cannot be set up (Linux: the inotify instance or watch limit).
                watcher.EnableRaisingEvents = true;

                // What the slots hold now is no news: only later writes wake.
                _ = HasForeignWrite();
                Volatile.Write(ref _watcher, watcher);
                return true;
            }
            catch (Exception ex)
            {
                // Whatever it is, the worker polls instead: retrying on every wait would only log it again.
                watcher?.Dispose();
                _watchFailed = true;
                _logger.WakeFileNotWatched(ex, path, _dataSource);
                return false;
            }
        }
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        // The folder is the file's own, but the filter is a pattern: only this exact name counts.
        if (!string.Equals(e.Name, FileName, StringComparison.Ordinal))
        {
            return;
        }

        if (HasForeignWrite())
        {
            Interlocked.Increment(ref _signalsSeen);
            _signals.Notify();
        }
        else
        {
            Interlocked.Increment(ref _ownIgnored);
        }
    }

    private int OwnSlot => (int)(_token % Slots);

    /// <summary>
    /// Reads the file and tells whether a slot changed since the last read other than by this store's own writes.
    /// When in doubt (the file cannot be read, or another store shares this store's slot and wrote last) it says yes:
    /// a needless wake costs a read, a missed one a poll interval.
    /// </summary>
    private bool HasForeignWrite()
    {
        if ((Volatile.Read(ref _handle) ?? Open()) is not { } handle)
        {
            return true;
        }

        lock (_readLock)
        {
            int length;
            try
            {
                length = RandomAccess.Read(handle, _read, 0);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
            {
                return true;
            }

            Array.Clear(_read, length, _read.Length - length);
            var foreign = false;
            for (var slot = 0; slot < Slots; slot++)
            {
                var at = slot * SlotBytes;
                var now = _read.AsSpan(at, SlotBytes);
                if (now.SequenceEqual(_seen.AsSpan(at, SlotBytes)))
                {
                    continue;
                }

                if (slot != OwnSlot || BinaryPrimitives.ReadInt64LittleEndian(now) != _token)
                {
                    foreign = true;
                }
            }

            _read.CopyTo(_seen, 0);
            return foreign;
        }
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        var ex = e.GetException();
        if (ex is not InternalBufferOverflowException)
        {
            // The watch has stopped: waiters fall back to polling once woken.
            lock (_lock)
            {
                if (_watchFailed || _disposed)
                {
                    return;
                }

                _watchFailed = true;
            }

            _logger.WakeFileNotWatched(ex, WakePath, _dataSource);
        }

        // Signals may have been lost: every waiter looks again.
        _signals.Notify();
    }

    private string WakePath => _databasePath() is { } database ? PathFor(database) : _dataSource + Suffix;

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _watcher?.Dispose();
            _watcher = null;
            _handle?.Dispose();
            _handle = null;
        }
    }
}
