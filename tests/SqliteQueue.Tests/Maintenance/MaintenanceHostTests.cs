using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SqliteQueue.Maintenance;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Maintenance;

public sealed class MaintenanceHostTests
{
    [Fact]
    public async Task A_host_with_maintenance_turned_off_runs_none_but_can_run_it_by_hand()
    {
        await using var db = new TestDatabase();
        using var host = Build(db, o => o.Enabled = false);
        await host.StartAsync();
        var maintenance = host.Services.GetRequiredService<IQueueMaintenance>();
        var client = host.Services.GetRequiredService<IQueueClient>();
        await CompletedAsync(host.Services.GetRequiredService<SqliteJobQueue>(), 2);
        db.Time.Advance(TimeSpan.FromDays(30));

        maintenance.Should().BeSameAs(host.Services.GetRequiredService<SqliteJobQueue>().Maintenance);
        Long(db, "SELECT COUNT(*) FROM queue_leases;").Should().Be(0, "no schedule ran to take the lease");
        Long(db, "SELECT COUNT(*) FROM queue_maintenance_runs;").Should().Be(0);
        (await client.GetStatsAsync()).For(QueueNames.Default).Completed.Should().Be(2);

        (await maintenance.PruneAsync()).Completed.Should().Be(2);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_host_runs_the_configured_maintenance_and_lets_the_lease_go_when_it_stops()
    {
        await using var db = new TestDatabase();
        using var host = Build(db, o =>
        {
            o.Retention = new RetentionOptions { Completed = TimeSpan.Zero };
            o.IntegrityCheckInterval = null;
        });
        await CompletedAsync(db.Queue, 2);

        await host.StartAsync();

        await Eventually.TrueAsync(() => Long(db, "SELECT COUNT(*) FROM queue_jobs;") == 0, "the hosted schedule prunes at once");
        Long(db, "SELECT COUNT(*) FROM queue_leases WHERE expires_at > 0;").Should().Be(1);
        await host.StopAsync();
        Long(db, "SELECT COUNT(*) FROM queue_leases WHERE expires_at > 0;").Should().Be(0, "a stopping host releases the lease");
    }

    [Fact]
    public void ConfigureMaintenance_twice_changes_the_one_registration()
    {
        var services = new ServiceCollection();
        services.AddSqliteQueue(o => o.ConnectionString = "Data Source=never-opened.db")
            .ConfigureMaintenance(o => o.BackupsToKeep = 3)
            .ConfigureMaintenance(o => o.PruneInterval = TimeSpan.FromMinutes(5));
        services.AddSqliteQueue(o => { });

        services.Count(d => d.ServiceType == typeof(MaintenanceOptions)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IHostedService)).Should().Be(1);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<MaintenanceOptions>().Should().Match<MaintenanceOptions>(o => o.BackupsToKeep == 3 && o.PruneInterval == TimeSpan.FromMinutes(5));
    }

    private static IHost Build(TestDatabase db, Action<MaintenanceOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<TimeProvider>(db.Time);
        builder.Services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString).ConfigureMaintenance(configure);
        return builder.Build();
    }
}
