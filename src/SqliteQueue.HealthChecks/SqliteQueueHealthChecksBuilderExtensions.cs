using Microsoft.Extensions.Diagnostics.HealthChecks;
using SqliteQueue.HealthChecks;
using SqliteQueue.Monitoring;

// In the namespace of AddHealthChecks itself, so the method is found where the builder is.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the SqliteQueue health check with ASP.NET Core health checks.</summary>
public static class SqliteQueueHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check over the queue registered by <c>AddSqliteQueue</c>: the file reachable and at this library's
    /// schema, the oldest runnable job's age per queue, dead jobs in the last hour, live workers, WAL size, the last
    /// integrity check, broken recurring schedules and (when set) how long since maintenance ran. It only reads.
    /// </summary>
    /// <param name="builder">The health-checks builder.</param>
    /// <param name="configure">Sets the thresholds; see <see cref="QueueHealthOptions"/> for each default. Applied and validated here, once.</param>
    /// <param name="name">The check's name. The default is <c>sqlitequeue</c>.</param>
    /// <param name="failureStatus">What an unhealthy queue reports; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>. A degraded queue reports Degraded, or this when it is milder.</param>
    /// <param name="tags">Tags to filter checks by, such as <c>ready</c>.</param>
    /// <param name="timeout">How long the check may run before it is reported as failed; <see langword="null"/> for no limit of its own.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A threshold or <paramref name="timeout"/> is out of range; the parameter name says which.</exception>
    public static IHealthChecksBuilder AddSqliteQueue(
        this IHealthChecksBuilder builder,
        Action<QueueHealthOptions>? configure = null,
        string name = "sqlitequeue",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (timeout is { } t && t <= TimeSpan.Zero && t != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), t, $"The timeout must be greater than zero, or Timeout.InfiniteTimeSpan; got {t}.");
        }

        if (failureStatus is { } f && !Enum.IsDefined(f))
        {
            throw new ArgumentOutOfRangeException(nameof(failureStatus), f, $"Unknown health status {f}.");
        }

        var options = new QueueHealthOptions();
        configure?.Invoke(options);
        options.Validate();
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new SqliteQueueHealthCheck(sp.GetRequiredService<IQueueMonitor>(), options),
            failureStatus,
            tags,
            timeout));
    }
}
