using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Monitoring;

/// <summary>
/// The raw figures of one health check, as a store reads them (<see cref="Stores.IMonitorStore.ReadHealthAsync"/>).
/// Reading stops at the first thing that makes the rest unreadable (a schema other than this library's), and the
/// figures read so far stay.
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

    internal sealed class RunnableRow
    {
        public string Queue { get; set; } = "";

        public long Count { get; set; }

        public long OldestRunAt { get; set; }
    }
}
