using System.CommandLine;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

internal static class RecurringCommands
{
    public static Command Create(CommandTree tree) => new("recurring", "TODO");
}
