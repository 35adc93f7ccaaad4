using Microsoft.Extensions.Hosting;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>Runs the maintenance schedule for the lifetime of a host (or stands by while another process runs it).</summary>
internal sealed class MaintenanceHostedService(SqliteJobQueue queue, SqliteQueue.Maintenance.MaintenanceOptions options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Enabled ? queue.RunMaintenanceAsync(options, stoppingToken) : Task.CompletedTask;
}
