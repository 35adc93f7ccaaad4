namespace SqliteQueue.CommandLine.Internal;

/// <summary>A command that cannot go on, with the message the user sees and the exit code the process ends with.</summary>
internal sealed class CommandFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CommandFailure Usage(string message) => new(SqliteQueueExitCodes.Usage, message);

    public static CommandFailure Error(string message) => new(SqliteQueueExitCodes.Error, message);
}
