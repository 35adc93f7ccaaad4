namespace SqliteQueue.Monitoring;

/// <summary>The result of <see cref="IQueueMonitor.CheckHealthAsync"/>.</summary>
public sealed class QueueHealthReport
{
    internal QueueHealthReport(
        DateTimeOffset checkedAt, IReadOnlyList<QueueHealthProblem> problems, IReadOnlyDictionary<string, object> data, Exception? exception)
    {
        CheckedAt = checkedAt;
        Problems = problems;
        Data = data;
        Exception = exception;
        Status = problems.Count == 0 ? QueueHealthStatus.Healthy : problems.Max(p => p.Status);
    }

    /// <summary>The worst status among <see cref="Problems"/>, or <see cref="QueueHealthStatus.Healthy"/> when there are none.</summary>
    public QueueHealthStatus Status { get; }

    /// <summary>When the figures were read, by the store's clock.</summary>
    public DateTimeOffset CheckedAt { get; }

    /// <summary>What the rules found, worst first; empty when healthy.</summary>
    public IReadOnlyList<QueueHealthProblem> Problems { get; }

    /// <summary>
    /// Every figure read, healthy or not, by its name in <see cref="QueueHealthFigures"/> (per-queue figures add
    /// <c>:{queue}</c>): numbers as <see cref="long"/> or <see cref="double"/> seconds, flags as <see cref="bool"/>,
    /// the rest as <see cref="string"/>. When the file cannot be read, only the figures read before the failure.
    /// </summary>
    public IReadOnlyDictionary<string, object> Data { get; }

    /// <summary>The error that kept the store from being read, or <see langword="null"/>.</summary>
    public Exception? Exception { get; }

    /// <summary>The problems in one line each, or "healthy".</summary>
    /// <returns>A description for logs and health endpoints.</returns>
    public override string ToString() =>
        Problems.Count == 0 ? "healthy" : string.Join(Environment.NewLine, Problems.Select(p => p.ToString()));
}

/// <summary>One problem a health rule found.</summary>
/// <param name="Figure">The figure it judged, a name from <see cref="QueueHealthFigures"/> (with <c>:{queue}</c> for a per-queue one).</param>
/// <param name="Status">How bad it is.</param>
/// <param name="Description">What was found and the threshold it broke, in a sentence.</param>
public sealed record QueueHealthProblem(string Figure, QueueHealthStatus Status, string Description)
{
    /// <summary>The status, figure and description on one line.</summary>
    /// <returns>The problem as text.</returns>
    public override string ToString() => $"{Status}: {Description} ({Figure})";
}
