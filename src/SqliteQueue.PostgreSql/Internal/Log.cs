using Microsoft.Extensions.Logging;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>The PostgreSQL store's own log lines; event ids 16xx, beside the core's 1xxx store events.</summary>
internal static partial class Log
{
    [LoggerMessage(1601, LogLevel.Information, "Queue database {Display} migrated to schema version {Version}")]
    public static partial void SchemaMigrated(this ILogger logger, string display, int version);

    [LoggerMessage(1602, LogLevel.Warning, "The wake-up listener on {Display} lost its connection; idle workers poll until it is back (retry in {Delay})")]
    public static partial void ListenerLost(this ILogger logger, Exception ex, string display, TimeSpan delay);

    [LoggerMessage(1603, LogLevel.Information, "The wake-up listener on {Display} is listening on channel {Channel}")]
    public static partial void ListenerConnected(this ILogger logger, string display, string channel);
}
