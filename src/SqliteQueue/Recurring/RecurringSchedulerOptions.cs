namespace SqliteQueue.Recurring;

/// <summary>How a host treats recurring jobs; set with <see cref="SqliteQueueBuilder.ConfigureRecurringJobs"/>.</summary>
public sealed class RecurringSchedulerOptions
{
    /// <summary>
    /// Whether, when the host starts, schedules declared in code by an earlier version but no longer declared are
    /// deleted. Schedules created at run time are never deleted this way, and a host that declares none deletes none.
    /// </summary>
    /// <value>The default is true.</value>
    public bool RemoveUndeclared { get; set; } = true;

    /// <summary>
    /// Whether this host fires schedules. Turn it off in a host that should only declare them (any other process
    /// with a scheduler on the same file fires them).
    /// </summary>
    /// <value>The default is true.</value>
    public bool RunScheduler { get; set; } = true;
}
