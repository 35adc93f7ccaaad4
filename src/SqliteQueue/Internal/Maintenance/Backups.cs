using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// Online backups: <c>VACUUM INTO</c> reads one snapshot on a reader connection (WAL lets writers go on meanwhile) and
/// writes a compact copy to a temporary file beside the destination; the copy is checked, flushed, and renamed over
/// the destination, which is therefore always a whole backup.
/// </summary>
internal static class Backups
{
    private static readonly string[] SideFiles = ["", "-wal", "-shm", "-journal"];
    private const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";
    private const int TimeLength = 16; // 20300101T000000Z

    public static Task<BackupResult> BackupAsync(JobStore store, string destinationPath, CancellationToken cancellationToken) =>
        DedicatedThread.RunAsync(() => CopyAsync(store, destinationPath, cancellationToken));

    private static async Task<BackupResult> CopyAsync(JobStore store, string destinationPath, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var destination = Path.GetFullPath(destinationPath);
        var directory = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, "." + Path.GetFileName(destination) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        try
        {
            await store.ReadAsync((temporary, destination, cancellationToken), static (s, c, a) =>
            {
                // The WAL and shared-memory files are the queue's too: replacing one under live connections loses commits.
                if (StorageFiles.DatabasePath(c) is { } own && SideFiles.Any(side => SamePath(own + side, a.destination)))
                {
                    throw new ArgumentException($"The backup destination '{a.destination}' is the queue file itself or one of its -wal, -shm or -journal files; give another path.", nameof(destinationPath));
                }

                if (s.IsMemory)
                {
                    // VACUUM INTO from a memory database opens its target in memory too, and nothing reaches the disk.
                    using var target = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = a.temporary, Pooling = false }.ToString());
                    target.Open();
                    c.BackupDatabase(target);
                    return 0;
                }

                using var command = c.CreateCommand();
                command.CommandText = "VACUUM INTO @path;";
                command.Parameters.AddWithValue("@path", a.temporary);
                command.CommandTimeout = 0;
                using var stop = a.cancellationToken.Register(command.Cancel);
                command.ExecuteNonQuery();
                return 0;
            }, cancellationToken).ConfigureAwait(false);

            Verify(temporary);
            using (var file = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, destination, overwrite: true);
            return new BackupResult(destination, new FileInfo(destination).Length, clock.Elapsed);
        }
        catch (SqliteException ex) when (cancellationToken.IsCancellationRequested && ex.SqliteErrorCode == 9)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (IOException ex)
        {
            throw new QueueStorageException($"The backup to '{destination}' could not be written: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new QueueStorageException($"The backup to '{destination}' could not be written: {ex.Message}", ex);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>A scheduled backup's file name: the queue file's name and the time, so names sort by age.</summary>
    public static string ScheduledName(string? databasePath, DateTimeOffset at) =>
        Stem(databasePath) + "-" + at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) + ".db";

    /// <summary>Deletes the oldest scheduled backups of this queue file beyond <paramref name="keep"/>.</summary>
    public static int DeleteOld(string directory, string? databasePath, int keep)
    {
        var stem = Stem(databasePath);
        var removed = 0;

        // The wildcard also matches other queues' backups (those of "jobs-eu.db" for "jobs.db"): only names this
        // queue's schedule writes are its own.
        var own = Directory.GetFiles(directory, stem + "-*Z.db").Where(path => IsScheduledName(Path.GetFileName(path), stem));
        foreach (var old in own.Order(StringComparer.Ordinal).SkipLast(keep))
        {
            File.Delete(old);
            removed++;
        }

        return removed;
    }

    private static bool IsScheduledName(string name, string stem) =>
        name.Length == stem.Length + 1 + TimeLength + ".db".Length
        && name.StartsWith(stem + "-", StringComparison.Ordinal)
        && name.EndsWith(".db", StringComparison.Ordinal)
        && DateTime.TryParseExact(name.AsSpan(stem.Length + 1, TimeLength), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    private static string Stem(string? databasePath) =>
        databasePath is null ? "queue" : Path.GetFileNameWithoutExtension(databasePath);

    private static void Verify(string path)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var copy = new SqliteConnection(connectionString);
        string? result;
        try
        {
            copy.Open();
            result = ConnectionFactory.Scalar(copy, "PRAGMA quick_check(1);");
        }
        catch (SqliteException ex)
        {
            throw new QueueStorageException($"The backup copy '{path}' could not be checked: {ex.Message}", ex);
        }

        if (result != "ok")
        {
            throw new QueueStorageException($"The backup copy '{path}' failed its check: {result}");
        }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
