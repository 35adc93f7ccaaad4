namespace SqliteQueue.CommandLine;

/// <summary>The exit codes of every SqliteQueue command, for scripts.</summary>
public static class SqliteQueueExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command failed: the queue file is missing, busy, damaged or of another version, or a job or schedule was not found.</summary>
    public const int Error = 1;

    /// <summary>The command line is wrong: an unknown command or option, or a value out of range. Nothing was changed.</summary>
    public const int Usage = 2;

    /// <summary>A check ran and found problems (<c>db check</c>, <c>health</c>).</summary>
    public const int ProblemsFound = 3;

    /// <summary>A destructive command was not confirmed: answered no, or input is not a terminal and <c>--yes</c> was not given. Nothing was changed.</summary>
    public const int NotConfirmed = 4;
}
