using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SqliteQueue.HealthChecks;
using SqliteQueue.Monitoring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Monitoring;

/// <summary>The SqliteQueue.HealthChecks package through a real service provider and <see cref="HealthCheckService"/>.</summary>
public sealed class HealthCheckAddOnTests
{
    [Fact]
    public async Task A_healthy_queue_reports_healthy_with_every_figure_in_the_data()
    {
        await using var db = new TestDatabase();
        await using var provider = Provider(db, h => h.AddSqliteQueue(o => o.MinLiveWorkers = null, tags: ["ready"]));
        var queue = provider.GetRequiredService<SqliteJobQueue>();
        await queue.Maintenance.CheckIntegrityAsync();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["sqlitequeue"];
        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Description.Should().Be("The queue is healthy.");
        entry.Tags.Should().Equal("ready");
        entry.Data.Keys.Should().Contain([QueueHealthFigures.StoreReachable, QueueHealthFigures.LiveWorkers, QueueHealthFigures.WalBytes, QueueHealthFigures.DeadLastHour]);
        entry.Data[QueueHealthFigures.LiveWorkers].Should().Be(0L);
    }

    [Fact]
    public async Task A_degraded_queue_reports_degraded_and_describes_its_problems()
    {
        await using var db = new TestDatabase();
        await using var provider = Provider(db, h => h.AddSqliteQueue(name: "jobs"));
        await provider.GetRequiredService<SqliteJobQueue>().InitializeAsync();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["jobs"];
        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Description.Should().Be(
            "Live workers on the file: 0, fewer than the 1 expected (MinLiveWorkers); jobs wait until one runs. "
            + "No integrity check is recorded in the file (MaxIntegrityCheckAge): maintenance runs one daily, or call IQueueMaintenance.CheckIntegrityAsync.");
        entry.Data[QueueHealthFigures.IntegrityCheck].Should().Be("never");
    }

    [Fact]
    public async Task A_store_that_cannot_be_read_is_unhealthy_with_its_exception_and_the_failure_status_applies()
    {
        await using var db = new TestDatabase();
        await File.WriteAllTextAsync(db.Path, "not a database, long enough to have had a header by now");
        await using var provider = Provider(db, h => h
            .AddSqliteQueue(name: "default-status")
            .AddSqliteQueue(name: "degraded-status", failureStatus: HealthStatus.Degraded));

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["default-status"];
        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Exception.Should().NotBeNull();
        entry.Description.Should().Be("The queue store could not be read: " + entry.Exception!.Message);
        entry.Data[QueueHealthFigures.StoreReachable].Should().Be(false);
        report.Entries["degraded-status"].Status.Should().Be(HealthStatus.Degraded);
    }

    [Fact]
    public async Task A_monitor_that_throws_becomes_the_failure_status_not_an_exception()
    {
        var check = new SqliteQueueHealthCheck(new ThrowingMonitor());
        var registration = new HealthCheckRegistration("q", check, HealthStatus.Degraded, null);

        var result = await check.CheckHealthAsync(new HealthCheckContext { Registration = registration });

        result.Status.Should().Be(HealthStatus.Degraded);
        result.Description.Should().Be("The queue's health could not be checked: monitor down");
        result.Exception.Should().BeOfType<InvalidOperationException>();
    }

    [Fact]
    public void Options_and_arguments_are_checked_at_registration()
    {
        var builder = new ServiceCollection().AddHealthChecks();

        var badOption = () => builder.AddSqliteQueue(o => o.MaxDeadPerHour = -5);
        var badTimeout = () => builder.AddSqliteQueue(timeout: TimeSpan.Zero);
        var badName = () => builder.AddSqliteQueue(name: " ");

        badOption.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("QueueHealthOptions.MaxDeadPerHour");
        badTimeout.Should().Throw<ArgumentOutOfRangeException>().WithMessage("The timeout must be greater than zero, or Timeout.InfiniteTimeSpan; got 00:00:00.*")
            .Which.ParamName.Should().Be("timeout");
        badName.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("name");
    }

    [Fact]
    public async Task The_monitor_is_registered_by_AddSqliteQueue()
    {
        await using var db = new TestDatabase();
        await using var provider = Provider(db, _ => { });

        provider.GetRequiredService<IQueueMonitor>().Should().BeSameAs(provider.GetRequiredService<SqliteJobQueue>().Monitor);
    }

    private static ServiceProvider Provider(TestDatabase db, Action<IHealthChecksBuilder> health)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(db.Time);
        services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString);
        health(services.AddHealthChecks());
        return services.BuildServiceProvider();
    }

    private sealed class ThrowingMonitor : IQueueMonitor
    {
        public Task<IReadOnlyList<WorkerInfo>> ListWorkersAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<QueueHealthReport> CheckHealthAsync(QueueHealthOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("monitor down");

        public Task<IReadOnlyList<ThroughputBucket>> GetThroughputAsync(DateTimeOffset since, TimeSpan bucket, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
