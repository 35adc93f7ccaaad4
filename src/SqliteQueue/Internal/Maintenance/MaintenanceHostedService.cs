using Microsoft.Extensions.Hosting;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>Runs the maintenance schedule for the lifetime of a host (or stands by while another process runs it).</summary>
internal sealed class MaintenanceHostedService(SqliteJobQueue queue, SqliteQueue.Maintenance.MaintenanceOptions options) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Maintenance is on by default in every host: on a store it does not run on yet it stands aside, rather than fail the host.
        options.Enabled && queue.HasMaintenance ? queue.RunMaintenanceAsync(options, stoppingToken) : Task.CompletedTask;
}
