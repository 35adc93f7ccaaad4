using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>The last run of each maintenance task, kept in the store so every process (and a dashboard) sees it.</summary>
internal static class MaintenanceRuns
{
    public const string Prune = "prune";
    public const string Vacuum = "vacuum";
    public const string Backup = "backup";
    public const string Integrity = "integrity";

    public static Task RecordAsync(IMaintenanceStore store, string task, DateTimeOffset startedAt, bool ok, string summary, string owner, CancellationToken cancellationToken) =>
        store.RecordRunAsync(task, Times.ToMs(startedAt), ok, summary, owner, cancellationToken);

    /// <summary>The owner recorded for work done by hand through the API.</summary>
    public static string ByHand { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}
