using System.CommandLine;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

internal static class EnqueueCommand
{
    public static Command Create(CommandTree tree) => new("enqueue", "TODO");
}
