using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Monitoring;
using SqliteQueue.Monitoring;

namespace SqliteQueue.Internal.Monitoring;

/// <summary>The rows of <c>{prefix}workers</c>: how a registration is written and how the live ones are read.</summary>
internal static class WorkerRegistry
{
    /// <summary>A row lives this many beats past its last one, so one or two late beats (a busy file, a GC pause) do not drop it.</summary>
    public const int ExpiryBeats = 3;

    public static string QueuesToText(IReadOnlyList<string> queues) => JsonSerializer.Serialize(queues, MonitoringJson.Default.IReadOnlyListString);

    public static List<WorkerInfo> ListLive(JobStore s, SqliteConnection c, long now) =>
        c.Query<WorkerRow>(new CommandDefinition(s.Sql[MonitoringSql.ListLiveWorkers], new { now }))
            .Select(r => new WorkerInfo(
                r.Id, r.Host, (int)r.ProcessId, ReadQueues(r.Queues), (int)r.Concurrency,
                Times.FromMs(r.StartedAt), Times.FromMs(r.HeartbeatAt), Times.FromMs(r.ExpiresAt)))
            .ToList();

    /// <summary>The queues column as written by a worker; a row written by hand that is not a JSON list reads as its one queue.</summary>
    private static IReadOnlyList<string> ReadQueues(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, MonitoringJson.Default.IReadOnlyListString) ?? [];
        }
        catch (JsonException)
        {
            return [text];
        }
    }

    private sealed class WorkerRow
    {
        public string Id { get; set; } = "";

        public string Host { get; set; } = "";

        public long ProcessId { get; set; }

        public string Queues { get; set; } = "";

        public long Concurrency { get; set; }

        public long StartedAt { get; set; }

        public long HeartbeatAt { get; set; }

        public long ExpiresAt { get; set; }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class MonitoringJson : System.Text.Json.Serialization.JsonSerializerContext;
