using System.Globalization;

namespace SqliteQueue.Monitoring;

/// <summary>
/// The thresholds of <see cref="IQueueMonitor.CheckHealthAsync"/>. Each rule has a default; <see langword="null"/>
/// turns it off. Whatever is turned off, its figure is still read and reported. The store being readable, and its
/// schema being this library's, is always checked.
/// </summary>
public sealed class QueueHealthOptions
{
    /// <summary>
    /// The longest any one queue's oldest runnable job (due, not yet claimed) may have waited; above it, that queue is
    /// reported <see cref="QueueHealthStatus.Degraded"/>: its workers are missing, stuck or too few.
    /// </summary>
    /// <value>The default is 5 minutes. 1 second to 3,650 days, or <see langword="null"/> for no limit.</value>
    public TimeSpan? MaxOldestRunnableAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most jobs that may have died (run out of attempts) in the last hour; above it, <see cref="QueueHealthStatus.Degraded"/>.</summary>
    /// <value>The default is 10. 0 (any dead job) to 1,000,000,000, or <see langword="null"/> for no limit.</value>
    public long? MaxDeadPerHour { get; set; } = 10;

    /// <summary>
    /// The fewest live hosted worker groups, in all processes on the file together; below it,
    /// <see cref="QueueHealthStatus.Degraded"/> (never Unhealthy: jobs still enqueue and wait safely, and an application
    /// that only enqueues stays ready while its workers are down). Workers driven by hand through
    /// <see cref="IWorker"/> have no registration and are not counted.
    /// </summary>
    /// <value>The default is 1. 1 to 1,000,000, or <see langword="null"/> to not count workers.</value>
    public int? MinLiveWorkers { get; set; } = 1;

    /// <summary>The largest the WAL file may be, in bytes; above it, <see cref="QueueHealthStatus.Degraded"/>: checkpoints are not keeping up, usually because a reader holds an old snapshot.</summary>
    /// <value>The default is 268,435,456 (256 MiB). 1 to 1,099,511,627,776 (1 TiB), or <see langword="null"/> for no limit.</value>
    public long? MaxWalSize { get; set; } = 256L << 20;

    /// <summary>
    /// The longest since the last recorded integrity check; older, or none recorded, is
    /// <see cref="QueueHealthStatus.Degraded"/>. A last check that failed is always
    /// <see cref="QueueHealthStatus.Unhealthy"/>, whatever this says.
    /// </summary>
    /// <value>The default is 2 days (maintenance checks daily). 1 minute to 3,650 days, or <see langword="null"/> for no limit.</value>
    public TimeSpan? MaxIntegrityCheckAge { get; set; } = TimeSpan.FromDays(2);

    /// <summary>The most recurring schedules that may be broken (they no longer fire until fixed); above it, <see cref="QueueHealthStatus.Degraded"/>.</summary>
    /// <value>The default is 0. 0 to 1,000,000, or <see langword="null"/> for no limit.</value>
    public int? MaxBrokenRecurringJobs { get; set; } = 0;

    /// <summary>
    /// The longest since maintenance last pruned the file (it does every <c>PruneInterval</c>, a minute by default, in
    /// whichever process holds its lease); older, or none recorded, is <see cref="QueueHealthStatus.Degraded"/>: no
    /// process runs maintenance, so history and the WAL grow.
    /// </summary>
    /// <value>The default is <see langword="null"/> (not checked), since maintenance may be run by hand. 1 second to 3,650 days.</value>
    public TimeSpan? MaxMaintenanceAge { get; set; }

    /// <summary>Checks every option against its range; <see cref="IQueueMonitor.CheckHealthAsync"/> and the health-check registration call it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the parameter name is the option's, and the message gives its range.</exception>
    public void Validate()
    {
        var maxAge = TimeSpan.FromDays(3650);
        Check(MaxOldestRunnableAge, TimeSpan.FromSeconds(1), maxAge, nameof(MaxOldestRunnableAge));
        Check(MaxDeadPerHour, 0, 1_000_000_000, nameof(MaxDeadPerHour));
        Check(MinLiveWorkers, 1, 1_000_000, nameof(MinLiveWorkers));
        Check(MaxWalSize, 1, 1L << 40, nameof(MaxWalSize));
        Check(MaxIntegrityCheckAge, TimeSpan.FromMinutes(1), maxAge, nameof(MaxIntegrityCheckAge));
        Check(MaxBrokenRecurringJobs, 0, 1_000_000, nameof(MaxBrokenRecurringJobs));
        Check(MaxMaintenanceAge, TimeSpan.FromSeconds(1), maxAge, nameof(MaxMaintenanceAge));
    }

    private static void Check<T>(T? value, T min, T max, string option)
        where T : struct, IComparable<T>, IFormattable
    {
        if (value is { } v && (v.CompareTo(min) < 0 || v.CompareTo(max) > 0))
        {
            throw new ArgumentOutOfRangeException(
                $"{nameof(QueueHealthOptions)}.{option}",
                v,
                string.Create(CultureInfo.InvariantCulture, $"{nameof(QueueHealthOptions)}.{option} must be from {min} to {max}, or null to turn the rule off; got {v}."));
        }
    }
}
