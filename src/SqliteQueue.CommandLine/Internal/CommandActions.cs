using System.CommandLine;

namespace SqliteQueue.CommandLine.Internal;

/// <summary>Gives a command its action: one context per run, and every failure turned into a message and an exit code.</summary>
internal static class CommandActions
{
    public static void Set(Command command, CommandTree tree, Func<CommandContext, Task<int>> body) =>
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new Output(result, result.GetValue(tree.Json));
            try
            {
                var context = new CommandContext(result, output, tree.Source, cancellationToken);
                await using (context.ConfigureAwait(false))
                {
                    return await body(context).ConfigureAwait(false);
                }
            }
            catch (CommandFailure failure)
            {
                output.Failure(failure.Message, failure.ExitCode);
                return failure.ExitCode;
            }
            catch (ArgumentException ex)
            {
                // The library names the parameter and the bad value: a value given on the command line.
                output.Failure(ex.Message, SqliteQueueExitCodes.Usage);
                return SqliteQueueExitCodes.Usage;
            }
            catch (Exception ex) when (ex is KeyNotFoundException or SqliteQueueException or IOException or UnauthorizedAccessException)
            {
                // Not found, busy, storage and version errors, and files that cannot be read or written: nothing was
                // half-applied, and the message says what to do.
                output.Failure(ex.Message, SqliteQueueExitCodes.Error);
                return SqliteQueueExitCodes.Error;
            }
        });
}
