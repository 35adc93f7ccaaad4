using System.CommandLine;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

internal static class CronCommands
{
    public static Command Create(CommandTree tree) => new("cron", "TODO");
}
