using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>Vacuums, integrity checks and storage information: the file as a whole, rather than its jobs.</summary>
internal static class FileCare
{
    private const int MaxProblems = 100;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    public static Task<VacuumResult> IncrementalVacuumAsync(JobStore store, int? maxPages, MaintenanceLease? fence, CancellationToken cancellationToken) =>
        store.WriteAsync((maxPages, fence), static (s, tx, a) =>
        {
            s.CheckLease(tx, a.fence);
            var max = a.maxPages;
            var clock = Stopwatch.StartNew();
            var c = tx.Connection!;
            var before = StorageFiles.Pages(c, tx);

            // PRAGMA takes no parameters; the count is a validated integer. 0 means every free page.
            ConnectionFactory.Execute(c, "PRAGMA incremental_vacuum(" + (max ?? 0).ToString(CultureInfo.InvariantCulture) + ");", tx);
            var after = StorageFiles.Pages(c, tx);
            return new VacuumResult(before.Pages, after.Pages, before.FreePages, after.FreePages, before.PageSize, clock.Elapsed);
        }, cancellationToken);

    public static Task<VacuumResult> VacuumAsync(JobStore store, CancellationToken cancellationToken) =>
        store.ExclusiveAsync(c =>
        {
            var clock = Stopwatch.StartNew();
            var before = StorageFiles.Pages(c);

            // Set before the VACUUM, which is what lets a file that already has tables change its auto_vacuum mode.
            ConnectionFactory.Execute(c, "PRAGMA auto_vacuum = INCREMENTAL;");

            // The writer keeps temporary b-trees in memory; VACUUM's temporary copy of the whole file goes to disk.
            ConnectionFactory.Execute(c, "PRAGMA temp_store = FILE;");
            try
            {
                ConnectionFactory.Execute(c, "VACUUM;");
            }
            finally
            {
                ConnectionFactory.Execute(c, "PRAGMA temp_store = MEMORY;");
            }

            var after = StorageFiles.Pages(c);
            return new VacuumResult(before.Pages, after.Pages, before.FreePages, after.FreePages, before.PageSize, clock.Elapsed);
        }, cancellationToken);

    public static Task<IntegrityResult> CheckIntegrityAsync(JobStore store, IntegrityLevel level, CancellationToken cancellationToken) =>
        DedicatedThread.RunAsync(() => store.ReadAsync(level, static (s, c, l) =>
        {
            var at = s.Time.GetUtcNow();
            var clock = Stopwatch.StartNew();
            var problems = new List<string>();
            if (!TryCollect(c, l == IntegrityLevel.Full ? "PRAGMA integrity_check(100);" : "PRAGMA quick_check(100);", problems, out var error))
            {
                // integrity_check stops with an error where quick_check reports: damage that keeps it from comparing
                // an index with its table. The error is a finding too, and the quick check says where the damage is.
                problems.Add(error);
                if (l == IntegrityLevel.Full && !TryCollect(c, "PRAGMA quick_check(100);", problems, out var quickError))
                {
                    problems.Add(quickError);
                }
            }

            if (l == IntegrityLevel.Full)
            {
                try
                {
                    using var command = c.CreateCommand();
                    command.CommandText = "PRAGMA foreign_key_check;";
                    using var reader = command.ExecuteReader();
                    while (reader.Read() && problems.Count < MaxProblems)
                    {
                        problems.Add(string.Create(CultureInfo.InvariantCulture,
                            $"row {reader.GetValue(1)} of {reader.GetString(0)} refers to a missing row of {reader.GetString(2)}"));
                    }
                }
                catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
                {
                    problems.Add("the foreign key check stopped: " + ex.Message);
                }
            }

            if (problems.Count > MaxProblems)
            {
                problems.RemoveRange(MaxProblems, problems.Count - MaxProblems);
            }

            return new IntegrityResult(l, problems.Count == 0, problems, at, clock.Elapsed);
        }, cancellationToken));

    /// <summary>Adds a check's findings; false, with SQLite's error, when the check itself failed on the damage.</summary>
    private static bool TryCollect(SqliteConnection connection, string pragma, List<string> problems, out string error)
    {
        error = "";
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = pragma;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var line = reader.GetString(0);
                if (line != "ok")
                {
                    problems.Add(line);
                }
            }

            return true;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
        {
            error = "the check stopped: " + ex.Message;
            return false;
        }
    }

    public static Task<StorageInfo> GetStorageInfoAsync(JobStore store, CheckpointResult? lastCheckpoint, CancellationToken cancellationToken) =>
        store.ReadAsync(lastCheckpoint, static (s, c, checkpoint) =>
        {
            var path = StorageFiles.DatabasePath(c);
            var (pageSize, pages, free) = StorageFiles.Pages(c);
            return new StorageInfo(
                path, StorageFiles.Length(path), StorageFiles.WalLength(path), pageSize, pages, free, StorageFiles.AutoVacuum(c),
                checkpoint, s.ListRuns(c));
        }, cancellationToken);
}
