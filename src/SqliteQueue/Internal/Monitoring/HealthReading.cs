using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Monitoring;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Monitoring;

/// <summary>
/// The raw figures of one health check, read on one connection. Reading stops at the first thing that makes the rest
/// unreadable (a schema other than this library's), and the figures read so far stay.
/// </summary>
internal sealed class HealthReading
{
    public long Now { get; init; }

    public long? SchemaVersion { get; set; }

    /// <summary>Whether the file's queue tables are at this library's version, so the other figures could be read.</summary>
    public bool SchemaCurrent { get; set; }

    public List<RunnableRow> Runnable { get; } = [];

    public long DeadLastHour { get; set; }

    public long LiveWorkers { get; set; }

    public long FileBytes { get; set; }

    public long WalBytes { get; set; }

    public MaintenanceRun? Integrity { get; set; }

    public MaintenanceRun? Prune { get; set; }

    public List<string> BrokenRecurring { get; } = [];

    public static readonly TimeSpan DeadWindow = TimeSpan.FromHours(1);

    public static HealthReading Read(JobStore s, SqliteConnection c, long now)
    {
        var reading = new HealthReading { Now = now };
        var fileVersion = Convert.ToInt64(ConnectionFactory.Scalar(c, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        if (fileVersion > Migrator.LatestVersion)
        {
            reading.SchemaVersion = fileVersion;
            return reading;
        }

        // Several prefixes may share a file, each at its own version: this store's is the one that matters.
        reading.SchemaVersion = Migrator.PrefixVersion(c, null, s.Sql);
        if (reading.SchemaVersion != Migrator.LatestVersion)
        {
            return reading;
        }

        reading.SchemaCurrent = true;
        reading.Runnable.AddRange(c.Query<RunnableRow>(new CommandDefinition(s.Sql[JobSql.RunnableByQueue], new { now })));
        reading.DeadLastHour = c.ExecuteScalar<long>(new CommandDefinition(
            s.Sql[MonitoringSql.DeadSince], new { since = now - (long)DeadWindow.TotalMilliseconds }));
        reading.LiveWorkers = WorkerRegistry.ListLive(s, c, now).Count;
        reading.BrokenRecurring.AddRange(c.Query<string>(new CommandDefinition(s.Sql[MonitoringSql.BrokenRecurring])));
        var runs = MaintenanceRuns.List(s, c);
        reading.Integrity = runs.FirstOrDefault(r => r.Task == MaintenanceRuns.Integrity);
        reading.Prune = runs.FirstOrDefault(r => r.Task == MaintenanceRuns.Prune);
        var path = StorageFiles.DatabasePath(c);
        reading.FileBytes = StorageFiles.Length(path);
        reading.WalBytes = StorageFiles.WalLength(path);
        return reading;
    }

    internal sealed class RunnableRow
    {
        public string Queue { get; set; } = "";

        public long Count { get; set; }

        public long OldestRunAt { get; set; }
    }
}
