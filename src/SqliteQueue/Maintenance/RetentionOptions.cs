namespace SqliteQueue.Maintenance;

/// <summary>
/// How long finished jobs are kept, per state, counted from when they finished. <see langword="null"/> keeps a state
/// forever; <see cref="TimeSpan.Zero"/> deletes it at the next prune. Pending and running jobs are never pruned.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>How long completed jobs are kept.</summary>
    /// <value>The default is 1 day. 0 to 3,650 days, or <see langword="null"/> to keep them.</value>
    public TimeSpan? Completed { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long cancelled jobs are kept.</summary>
    /// <value>The default is 7 days. 0 to 3,650 days, or <see langword="null"/> to keep them.</value>
    public TimeSpan? Cancelled { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long dead jobs are kept: long enough to look at them and retry them.</summary>
    /// <value>The default is 14 days. 0 to 3,650 days, or <see langword="null"/> to keep them.</value>
    public TimeSpan? Dead { get; set; } = TimeSpan.FromDays(14);
}
