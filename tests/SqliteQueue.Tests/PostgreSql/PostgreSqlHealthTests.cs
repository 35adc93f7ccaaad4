using SqliteQueue.Monitoring;
using SqliteQueue.PostgreSql;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.PostgreSql;

/// <summary>What the health check asks of a PostgreSQL store, where the server's own tools look after the database.</summary>
public sealed class PostgreSqlHealthTests
{
    [Fact]
    public async Task The_integrity_check_rule_does_not_apply_and_a_fresh_store_with_a_maintenance_run_is_healthy_with_the_defaults()
    {
        await using var schema = new PostgreSqlSchema();
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions().UsePostgreSql(PostgreSqlServer.ConnectionString, o => o.Schema = schema.Name));
        await queue.Maintenance.PruneAsync();
        using var stop = new CancellationTokenSource();
        var maintenance = queue.RunMaintenanceAsync(null, stop.Token);
        QueueHealthReport? report = null;
        await Eventually.TrueAsync(async () =>
        {
            report = await queue.Monitor.CheckHealthAsync(new QueueHealthOptions { MinLiveWorkers = null });
            return report.Status == QueueHealthStatus.Healthy;
        }, "maintenance records its prune, and nothing else is due");
        await stop.CancelAsync();
        await maintenance;

        report!.Problems.Should().BeEmpty();
        report.Data.Should().NotContainKey(QueueHealthFigures.IntegrityCheck);
        report.Data[QueueHealthFigures.SchemaVersion].Should().Be(report.Data[QueueHealthFigures.SchemaVersionExpected]);
    }
}
