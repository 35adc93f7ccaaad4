using Dapper;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Maintenance;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>The last run of each maintenance task, kept in the file so every process (and a dashboard) sees it.</summary>
internal static class MaintenanceRuns
{
    public const string Prune = "prune";
    public const string Vacuum = "vacuum";
    public const string Backup = "backup";
    public const string Integrity = "integrity";

    public static Task RecordAsync(JobStore store, string task, DateTimeOffset startedAt, bool ok, string summary, string owner, CancellationToken cancellationToken) =>
        store.WriteAsync((task, startedAt, ok, summary, owner), static (s, tx, a) =>
            tx.Connection!.Execute(new CommandDefinition(s.Sql[MaintenanceSql.RecordRun], new
            {
                a.task,
                started_at = Times.ToMs(a.startedAt),
                finished_at = s.NowMs,
                ok = a.ok ? 1 : 0,
                a.summary,
                a.owner,
            }, tx)), cancellationToken);

    public static List<MaintenanceRun> List(JobStore s, Microsoft.Data.Sqlite.SqliteConnection c) =>
        c.Query<RunRow>(new CommandDefinition(s.Sql[MaintenanceSql.ListRuns]))
            .Select(r => new MaintenanceRun(r.Task, Times.FromMs(r.StartedAt), Times.FromMs(r.FinishedAt), r.Ok != 0, r.Summary, r.Owner))
            .ToList();

    /// <summary>The owner recorded for work done by hand through the API.</summary>
    public static string ByHand { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    private sealed class RunRow
    {
        public string Task { get; set; } = "";

        public long StartedAt { get; set; }

        public long FinishedAt { get; set; }

        public long Ok { get; set; }

        public string Summary { get; set; } = "";

        public string Owner { get; set; } = "";
    }
}
