using System.Text.Json;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Monitoring;

namespace SqliteQueue.Internal.Monitoring;

/// <summary>The worker registry's rules, whatever the store: how long a row lives and how its queues are written and read.</summary>
internal static class WorkerRegistry
{
    /// <summary>A row lives this many beats past its last one, so one or two late beats (a busy file, a GC pause) do not drop it.</summary>
    public const int ExpiryBeats = 3;

    public static string QueuesToText(IReadOnlyList<string> queues) => JsonSerializer.Serialize(queues, MonitoringJson.Default.IReadOnlyListString);

    /// <summary>A registry row as the monitor reports it.</summary>
    public static WorkerInfo ToInfo(string id, string host, long processId, string queues, long concurrency, long startedAt, long heartbeatAt, long expiresAt) =>
        new(id, host, (int)processId, ReadQueues(queues), (int)concurrency, Times.FromMs(startedAt), Times.FromMs(heartbeatAt), Times.FromMs(expiresAt));

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
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class MonitoringJson : System.Text.Json.Serialization.JsonSerializerContext;
