using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqliteQueue;

/// <summary>
/// <c>--maintenance</c>: a host whose only service is the queue's maintenance, as an application configures it, on
/// short real-time intervals: prune every second of jobs finished more than an hour ago, a WAL look every 200 ms, a
/// 5-second lease. Several of these on one file stand by for each other. Lines written:
///   ready            the host has started
///   log &lt;id&gt; &lt;text&gt;  a maintenance log line (4001 lease taken, 4003 pruned, ...)
///   warn &lt;text&gt;      the library logged a warning or an error
/// It runs until killed or until its input closes.
/// </summary>
internal static class MaintenanceMode
{
    public static async Task<int> RunAsync(Settings settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("SqliteQueue.Maintenance", LogLevel.Information);
        builder.Logging.AddProvider(new EmitLoggerProvider());
        builder.Services
            .AddSqliteQueue(o => o.ConnectionString = "Data Source=" + settings.DbPath)
            .ConfigureMaintenance(o =>
            {
                o.PruneInterval = TimeSpan.FromSeconds(1);
                o.CheckpointInterval = TimeSpan.FromMilliseconds(200);
                o.LeaseDuration = TimeSpan.FromSeconds(5);
                o.Retention.Completed = TimeSpan.FromHours(1);
                o.Retention.Cancelled = TimeSpan.FromHours(1);
                o.Retention.Dead = TimeSpan.FromHours(1);
            });

        // Runs until killed, or until the parent closes our input or says "stop".
        using var host = builder.Build();
        return await Program.RunUntilStoppedAsync(host);
    }
}
