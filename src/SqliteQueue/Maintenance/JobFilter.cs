namespace SqliteQueue.Maintenance;

/// <summary>Which jobs a bulk operation acts on: one state, and optionally one queue, one type and an age.</summary>
/// <param name="State">The jobs' state.</param>
public sealed record JobFilter(JobState State)
{
    /// <summary>Only jobs of this queue, or <see langword="null"/> for every queue.</summary>
    public string? Queue { get; init; }

    /// <summary>Only jobs of this type, or <see langword="null"/> for every type.</summary>
    public string? Type { get; init; }

    /// <summary>
    /// Only jobs that finished before this time (for pending jobs: that were created before it), or
    /// <see langword="null"/> for any time.
    /// </summary>
    public DateTimeOffset? Before { get; init; }
}
