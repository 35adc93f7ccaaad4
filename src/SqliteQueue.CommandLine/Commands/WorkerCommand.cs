using System.CommandLine;
using Microsoft.Extensions.Hosting;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

/// <summary><c>worker</c>: the application's queue host as a process of its own.</summary>
internal static class WorkerCommand
{
    public static Command Create(CommandTree tree, HostQueueSource source)
    {
        var command = new Command("worker", "Run this application's queue host (its workers, recurring scheduler and maintenance) until stopped with Ctrl+C or SIGTERM, then shut down gracefully.");
        CommandActions.Set(command, tree, async c =>
        {
            using var host = source.Builder.Build();
            await host.RunAsync(c.Cancel).ConfigureAwait(false);
            return SqliteQueueExitCodes.Success;
        });
        return command;
    }
}
