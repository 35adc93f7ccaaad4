using System.CommandLine;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

internal static class MonitorCommands
{
    public static Command Workers(CommandTree tree) => new("workers", "TODO");

    public static Command Health(CommandTree tree) => new("health", "TODO");
}
