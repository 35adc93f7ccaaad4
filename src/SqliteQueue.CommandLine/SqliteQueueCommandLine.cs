using System.CommandLine;
using Microsoft.Extensions.Hosting;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

/// <summary>
/// The SqliteQueue commands: <c>stats</c>, <c>queues</c>, <c>jobs</c>, <c>enqueue</c>, <c>recurring</c>, <c>cron</c>,
/// <c>db</c>, <c>workers</c> and <c>health</c>, and for an application, <c>worker</c>, which runs its queue host as a
/// process of its own. Every command goes through the library's public API, opens the file as one more peer of the
/// processes using it, and never changes its schema unless told to (<c>db migrate</c>).
/// </summary>
/// <example>
/// An application that is also its own standalone worker and admin tool:
/// <code>
/// if (SqliteQueueCommandLine.IsCommand(args))
/// {
///     var worker = Host.CreateApplicationBuilder();
///     worker.Services.AddSqliteQueue(o => o.ConnectionString = "Data Source=jobs.db").AddHandler&lt;Email, EmailHandler&gt;("email").AddWorker();
///     return await SqliteQueueCommandLine.RunAsync(worker, args);   // app worker | app jobs list --state dead | app db backup b.db
/// }
/// </code>
/// </example>
public static class SqliteQueueCommandLine
{
    /// <summary>The environment variable the tool reads the queue file from when <c>--db</c> is not given.</summary>
    public const string DatabaseVariable = "SQLITEQUEUE_DB";

    /// <summary>The environment variable the tool reads the table prefix from when <c>--prefix</c> is not given.</summary>
    public const string PrefixVariable = "SQLITEQUEUE_PREFIX";

    /// <summary>
    /// Runs the <c>sqlitequeue</c> tool's command line: the queue is the file given by <c>--db</c> (or
    /// <see cref="DatabaseVariable"/>), its tables named with <c>--prefix</c> (or <see cref="PrefixVariable"/>).
    /// </summary>
    /// <param name="args">The command line, without the program's name.</param>
    /// <param name="cancellationToken">Stops the command.</param>
    /// <returns>The exit code: see <see cref="SqliteQueueExitCodes"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="args"/> is null.</exception>
    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var tree = new CommandTree(new FileQueueSource());
        return InvokeAsync(tree.Build("Operate a SqliteQueue queue file: counts, jobs, recurring schedules, storage and workers."), args, cancellationToken);
    }

    /// <summary>
    /// Runs an application's command line against the queue its host registers with <c>AddSqliteQueue</c>:
    /// <c>worker</c> builds and runs the host (its workers, recurring scheduler and maintenance) until the process is
    /// stopped, and every other command builds the host without starting it and acts on its queue, with the
    /// application's own connection string and table prefix.
    /// </summary>
    /// <param name="builder">The application's host builder, with the queue, its handlers and workers registered; built once, by the command.</param>
    /// <param name="args">The command line, without the program's name.</param>
    /// <param name="cancellationToken">Stops the command, and the worker host.</param>
    /// <returns>The exit code: see <see cref="SqliteQueueExitCodes"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="args"/> is null.</exception>
    public static Task<int> RunAsync(HostApplicationBuilder builder, string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(args);
        var source = new HostQueueSource(builder);
        var tree = new CommandTree(source);
        var root = tree.Build("Run this application's queue worker, or operate its queue.", WorkerCommand.Create(tree, source));
        return InvokeAsync(root, args, cancellationToken);
    }

    /// <summary>
    /// Whether <paramref name="args"/> starts with one of the commands (<c>worker</c>, <c>stats</c>, <c>jobs</c>, ...),
    /// so an application can hand its command line to <see cref="RunAsync(HostApplicationBuilder, string[], CancellationToken)"/>
    /// and otherwise start as usual.
    /// </summary>
    /// <param name="args">The command line, without the program's name.</param>
    /// <returns>True when the first argument names a command.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="args"/> is null.</exception>
    public static bool IsCommand(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.Count > 0 && CommandTree.TopLevel.Contains(args[0]);
    }

    private static async Task<int> InvokeAsync(RootCommand root, string[] args, CancellationToken cancellationToken)
    {
        // No response files: "@file.json" is a payload to read (enqueue --payload), not more arguments.
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("Run with --help for the commands and their options.").ConfigureAwait(false);
            return SqliteQueueExitCodes.Usage;
        }

        // The host (for `worker`) handles Ctrl+C and SIGTERM itself, with its graceful shutdown; the other commands
        // stop where the signal finds them, which every one of them tolerates (each change is a transaction).
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await result.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
