using System.CommandLine;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

internal static class DbCommands
{
    public static Command Create(CommandTree tree) => new("db", "TODO");
}
