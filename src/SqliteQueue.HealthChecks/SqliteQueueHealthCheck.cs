using Microsoft.Extensions.Diagnostics.HealthChecks;
using SqliteQueue.Monitoring;

namespace SqliteQueue.HealthChecks;

/// <summary>
/// A health check over one queue file: <see cref="IQueueMonitor.CheckHealthAsync"/> judged by its options, as a
/// <see cref="HealthCheckResult"/>. The description lists the problems found, one per sentence; the data holds every
/// figure read (see <see cref="QueueHealthFigures"/>), healthy or not. Registered by
/// <c>AddHealthChecks().AddSqliteQueue(...)</c>; construct it yourself only to check a queue that is not the one in
/// dependency injection.
/// </summary>
public sealed class SqliteQueueHealthCheck : IHealthCheck
{
    private readonly IQueueMonitor _monitor;
    private readonly QueueHealthOptions _options;

    /// <summary>Creates the check.</summary>
    /// <param name="monitor">The queue's monitor, <see cref="SqliteJobQueue.Monitor"/>.</param>
    /// <param name="options">The thresholds, or <see langword="null"/> for the defaults; validated here.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the parameter name is the option's.</exception>
    public SqliteQueueHealthCheck(IQueueMonitor monitor, QueueHealthOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        options ??= new QueueHealthOptions();
        options.Validate();
        _monitor = monitor;
        _options = options;
    }

    /// <summary>
    /// Runs the check. <see cref="QueueHealthStatus.Unhealthy"/> becomes the registration's failure status;
    /// <see cref="QueueHealthStatus.Degraded"/> stays Degraded (or the failure status, if that is milder). An error
    /// reading the store is reported with its exception, never thrown.
    /// </summary>
    /// <param name="context">The health-check context.</param>
    /// <param name="cancellationToken">Cancels the check (the health-check service's timeout).</param>
    /// <returns>The result, with every figure in its data.</returns>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var failureStatus = context.Registration?.FailureStatus ?? HealthStatus.Unhealthy;
        QueueHealthReport report;
        try
        {
            report = await _monitor.CheckHealthAsync(_options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            return new HealthCheckResult(failureStatus, "The queue's health could not be checked: " + ex.Message, ex);
        }

        var status = report.Status switch
        {
            QueueHealthStatus.Healthy => HealthStatus.Healthy,

            // HealthStatus runs from Unhealthy (0) to Healthy (2): the milder of Degraded and the failure status.
            QueueHealthStatus.Degraded => (HealthStatus)Math.Max((int)HealthStatus.Degraded, (int)failureStatus),
            _ => failureStatus,
        };
        var description = report.Problems.Count == 0
            ? "The queue is healthy."
            : string.Join(" ", report.Problems.Select(p => p.Description));
        return new HealthCheckResult(status, description, report.Exception, report.Data);
    }
}
