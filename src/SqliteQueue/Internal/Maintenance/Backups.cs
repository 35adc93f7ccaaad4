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
    public static async Task<BackupResult> BackupAsync(JobStore store, string destinationPath, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var destination = Path.GetFullPath(destinationPath);
        var directory = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, "." + Path.GetFileName(destination) + "." + Guid.NewGuid().ToString("N")[..12] + ".tmp");
        try
        {
            await store.ReadAsync((temporary, destination, cancellationToken), static (_, c, a) =>
            {
                if (StorageFiles.DatabasePath(c) is { } own && SamePath(own, a.destination))
                {
                    throw new ArgumentException($"The backup destination '{a.destination}' is the queue file itself.", nameof(destinationPath));
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
        Stem(databasePath) + "-" + at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + ".db";

    /// <summary>Deletes the oldest scheduled backups of this queue file beyond <paramref name="keep"/>.</summary>
    public static int DeleteOld(string directory, string? databasePath, int keep)
    {
        var pattern = Stem(databasePath) + "-*Z.db";
        var removed = 0;
        foreach (var old in Directory.GetFiles(directory, pattern).Order(StringComparer.Ordinal).SkipLast(keep))
        {
            File.Delete(old);
            removed++;
        }

        return removed;
    }

    private static string Stem(string? databasePath) =>
        databasePath is null ? "queue" : Path.GetFileNameWithoutExtension(databasePath);

    private static void Verify(string path)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var copy = new SqliteConnection(connectionString);
        copy.Open();
        var result = ConnectionFactory.Scalar(copy, "PRAGMA quick_check(1);");
        if (result != "ok")
        {
            throw new QueueStorageException($"The backup copy '{path}' failed its check: {result}");
        }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
