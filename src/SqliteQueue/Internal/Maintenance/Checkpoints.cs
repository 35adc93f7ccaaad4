using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>
/// Checkpoints on a connection of their own with a short busy timeout. The modes that wait (FULL, RESTART, TRUNCATE)
/// block new writers while they wait, so a long timeout would stall every worker behind one slow reader; a short one
/// gives up and does what a passive checkpoint can.
/// </summary>
internal static class Checkpoints
{
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Runs a checkpoint; with <paramref name="truncateOnlyWhenCaughtUp"/>, a TRUNCATE whose passive pass could not copy the whole WAL stops there.</summary>
    public static Task<CheckpointResult> RunAsync(JobStore store, CheckpointMode mode, TimeSpan busyTimeout, CancellationToken cancellationToken, bool truncateOnlyWhenCaughtUp = false)
    {
        if (store.IsMemory)
        {
            return Task.FromResult(new CheckpointResult(mode, false, 0, 0, 0, TimeSpan.Zero));
        }

        return store.ReadAsync((mode, busyTimeout, truncateOnlyWhenCaughtUp), static (_, c, a) =>
        {
            var clock = Stopwatch.StartNew();
            BusyWait.Install(c, (int)a.busyTimeout.TotalMilliseconds);

            // A TRUNCATE that succeeds reports the WAL it emptied (0 frames, 0 copied); a passive pass first, which
            // does most of the copying anyway, learns what the WAL held.
            var first = a.mode == CheckpointMode.Truncate ? Run(c, "PRAGMA wal_checkpoint(PASSIVE);") : default;
            if (a.truncateOnlyWhenCaughtUp && a.mode == CheckpointMode.Truncate && (first.Busy || first.Done < first.Log))
            {
                return new CheckpointResult(a.mode, true, first.Log, first.Done, StorageFiles.WalLength(StorageFiles.DatabasePath(c)), clock.Elapsed);
            }

            var (busy, log, done) = Run(c, a.mode switch
            {
                CheckpointMode.Full => "PRAGMA wal_checkpoint(FULL);",
                CheckpointMode.Restart => "PRAGMA wal_checkpoint(RESTART);",
                CheckpointMode.Truncate => "PRAGMA wal_checkpoint(TRUNCATE);",
                _ => "PRAGMA wal_checkpoint(PASSIVE);",
            });
            if (a.mode == CheckpointMode.Truncate && !busy && log == 0)
            {
                (log, done) = (first.Log, first.Log);
            }

            return new CheckpointResult(a.mode, busy, log, done, StorageFiles.WalLength(StorageFiles.DatabasePath(c)), clock.Elapsed);
        }, cancellationToken);
    }

    private static (bool Busy, long Log, long Done) Run(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0) != 0, Math.Max(0, reader.GetInt64(1)), Math.Max(0, reader.GetInt64(2)));
    }
}
