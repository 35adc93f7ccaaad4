using Microsoft.Extensions.Logging;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>The dashboard's log messages (event ids 5xxx).</summary>
internal static partial class Log
{
    [LoggerMessage(5001, LogLevel.Error, "The SqliteQueue dashboard failed to answer {Method} {Path}")]
    public static partial void RequestFailed(this ILogger logger, Exception ex, string method, string path);

    [LoggerMessage(5002, LogLevel.Warning, "The SqliteQueue dashboard refused a request from {RemoteIp}: it is not local and the dashboard has no authorization policy")]
    public static partial void RemoteRequestRefused(this ILogger logger, string remoteIp);
}
