using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// How a connection waits for a lock another process holds: SQLite's own handler (<c>busy_timeout</c>) by default, or
/// this store's handler, which asks again within about a millisecond until the busy timeout has passed, then gives up
/// with SQLITE_BUSY as <c>busy_timeout</c> would (see <see cref="UseStoreHandler"/> for why it is not the default).
/// </summary>
/// <remarks>
/// <para>
/// SQLite's own handler (what <c>PRAGMA busy_timeout</c> installs) sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then
/// 100 ms between tries. Beside worker processes that take the write lock for a fraction of a millisecond hundreds of
/// times a second, a waiter that has slept its way up to 100 ms steps misses gap after gap: measured with four worker
/// processes and one producer (docs/benchmarks.md, Contention), single enqueues waited up to 2.1 to 2.7 s. Asking
/// again every millisecond bounded the longest to 0.19 to 0.3 s in the same runs. It does not make the lock fair: the
/// workers take it back as quickly, so more enqueues wait a few milliseconds than behind SQLite's handler.
/// </para>
/// <para>
/// SQLitePCLRaw 3.0 does not wrap <c>sqlite3_busy_handler</c>, so it is called in the e_sqlite3 library the provider
/// loaded (resolved through the provider's assembly, so it is the same library, never a second copy). The callback is
/// a static <see cref="UnmanagedCallersOnlyAttribute"/> method: there is no delegate for the collector to move or
/// take, and nothing is allocated per call. The timeout travels as the callback's argument; the start of the current
/// wait is kept per thread, because SQLite calls the handler on the thread that is running the statement, with a count
/// of 0 on the first try of each wait. When the library cannot be resolved (another SQLite provider was chosen by the
/// application), the connection keeps SQLite's own handler with the same timeout.
/// </para>
/// </remarks>
internal static unsafe class BusyWait
{
    // The first tries only give the processor away: the holder of the lock may be about to commit on this very core.
    private const int YieldTries = 8;

    [ThreadStatic]
    private static long t_waitStart;

    /// <summary>
    /// Installs this handler instead of SQLite's own on connections opened from now on. Off by default: on a quiet
    /// machine (docs/benchmarks.md, Contention) SQLite's handler gave the producer a p99 of 2 ms against 12 ms and
    /// the workers 1.3 times the drain rate, and this one only a five times shorter longest wait. Set by the benchmark
    /// that compares the two in one run.
    /// </summary>
    internal static bool UseStoreHandler { get; set; }

    /// <summary>Whether this handler can be installed (false: another SQLite provider; SQLite's own is used).</summary>
    internal static bool StoreHandlerAvailable => Native.SetHandler != null;

    /// <summary>Makes <paramref name="connection"/> wait up to <paramref name="timeoutMs"/> for a lock another connection holds.</summary>
    public static void Install(SqliteConnection connection, int timeoutMs) => Install(connection, timeoutMs, UseStoreHandler);

    /// <summary>As <see cref="Install(SqliteConnection, int)"/>, with this handler when <paramref name="storeHandler"/> is set and it can be installed.</summary>
    /// <remarks>It replaces whatever handler the connection had; <c>PRAGMA busy_timeout</c> run later would replace this one.</remarks>
    public static void Install(SqliteConnection connection, int timeoutMs, bool storeHandler)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        int rc;
        if (storeHandler && StoreHandlerAvailable && timeoutMs > 0)
        {
            rc = Native.SetHandler(db.DangerousGetHandle(), &OnBusy, timeoutMs);
        }
        else
        {
            rc = raw.sqlite3_busy_timeout(db, timeoutMs);
        }

        SqliteException.ThrowExceptionForRC(rc, db);
    }

    /// <summary>SQLite's busy callback: nonzero to try the lock again, 0 to give up with SQLITE_BUSY.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnBusy(IntPtr timeoutMs, int count)
    {
        // Nothing here may throw: an exception cannot cross back into SQLite.
        var now = Stopwatch.GetTimestamp();
        if (count == 0)
        {
            t_waitStart = now;
        }
        else if (Stopwatch.GetElapsedTime(t_waitStart, now).TotalMilliseconds >= (long)timeoutMs)
        {
            return 0;
        }

        if (count < YieldTries)
        {
            Thread.Yield();
        }
        else
        {
            // The thread is already blocked inside sqlite3_step, as it would be in SQLite's own handler; this only
            // shortens its sleeps.
#pragma warning disable RS0030
            Thread.Sleep(1);
#pragma warning restore RS0030
        }

        return 1;
    }

    /// <summary>Resolved on first use, after a connection was opened: Microsoft.Data.Sqlite sets the provider then.</summary>
    private static class Native
    {
        public static readonly delegate* unmanaged[Cdecl]<IntPtr, delegate* unmanaged[Cdecl]<IntPtr, int, int>, IntPtr, int> SetHandler = Resolve();
    }

    private static delegate* unmanaged[Cdecl]<IntPtr, delegate* unmanaged[Cdecl]<IntPtr, int, int>, IntPtr, int> Resolve()
    {
        try
        {
            // The provider's own resolution (its assembly, its search path) finds the library that owns the handles;
            // an application that set another provider keeps SQLite's handler.
            if (raw.GetNativeLibraryName() != "e_sqlite3")
            {
                return null;
            }

            var provider = typeof(SQLite3Provider_e_sqlite3).Assembly;
            if (NativeLibrary.TryLoad("e_sqlite3", provider, null, out var library)
                && NativeLibrary.TryGetExport(library, "sqlite3_busy_handler", out var export))
            {
                return (delegate* unmanaged[Cdecl]<IntPtr, delegate* unmanaged[Cdecl]<IntPtr, int, int>, IntPtr, int>)export;
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException or TypeLoadException or FileNotFoundException)
        {
        }

        return null;
    }
}
