using System.CommandLine;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

internal static class JobsCommands
{
    public static Command Create(CommandTree tree) => new("jobs", "TODO");
}
