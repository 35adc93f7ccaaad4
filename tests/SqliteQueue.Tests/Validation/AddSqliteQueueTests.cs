using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SqliteQueue.Scheduling;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Validation;

public sealed class AddSqliteQueueTests
{
    private static string ConnectionString(TestDatabase db, string file = "di.db") => $"Data Source={Path.Combine(db.Directory, file)}";

    [Fact]
    public async Task AddSqliteQueue_registers_client_factory_and_store_as_singletons()
    {
        await using var db = new TestDatabase();
        var services = new ServiceCollection();
        services.AddSqliteQueue(o => o.ConnectionString = ConnectionString(db));

        foreach (var type in new[] { typeof(SqliteJobQueue), typeof(IQueueClient), typeof(IWorkerFactory), typeof(TimeProvider) })
        {
            services.Should().ContainSingle(d => d.ServiceType == type).Which.Lifetime.Should().Be(ServiceLifetime.Singleton);
        }

        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        var store = provider.GetRequiredService<SqliteJobQueue>();
        provider.GetRequiredService<SqliteJobQueue>().Should().BeSameAs(store);
        provider.GetRequiredService<IQueueClient>().Should().BeSameAs(store.Client).And.BeSameAs(provider.GetRequiredService<IQueueClient>());
        provider.GetRequiredService<IWorkerFactory>().Should().BeSameAs(store);
        using (var scope = provider.CreateScope())
        {
            scope.ServiceProvider.GetRequiredService<IQueueClient>().Should().BeSameAs(store.Client);
        }

        var id = await provider.GetRequiredService<IQueueClient>().EnqueueJsonAsync("t", "{}");
        (await provider.GetRequiredService<IWorkerFactory>().Create().ClaimAsync()).Should().ContainSingle().Which.Id.Should().Be(id);
    }

    [Fact]
    public async Task AddSqliteQueue_twice_registers_once_and_applies_both_configurations()
    {
        await using var db = new TestDatabase();
        var services = new ServiceCollection();
        services.AddSqliteQueue(o => o.ConnectionString = ConnectionString(db));
        services.AddSqliteQueue(o => o.TablePrefix = "second_");

        foreach (var type in new[] { typeof(SqliteJobQueue), typeof(IQueueClient), typeof(IWorkerFactory), typeof(TimeProvider) })
        {
            services.Count(d => d.ServiceType == type).Should().Be(1, type.Name);
        }

        services.Count(d => d.ServiceType == typeof(IValidateOptions<SqliteQueueOptions>)).Should().Be(1);

        await using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<SqliteQueueOptions>>().Value;
        options.ConnectionString.Should().Be(ConnectionString(db));
        options.TablePrefix.Should().Be("second_");
        var id = await provider.GetRequiredService<IQueueClient>().EnqueueJsonAsync("t", "{}");
        (await provider.GetRequiredService<IQueueClient>().GetJobAsync(id)).Should().NotBeNull();

        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(ConnectionString(db) + ";Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM second_jobs;";
        ((long)command.ExecuteScalar()!).Should().Be(1);
    }

    [Fact]
    public void AddSqliteQueue_rejects_null_arguments()
    {
        Rejection.ShouldReject<ArgumentNullException>(() => ((IServiceCollection)null!).AddSqliteQueue(_ => { }), "services");
        Rejection.ShouldReject<ArgumentNullException>(() => new ServiceCollection().AddSqliteQueue(null!), "configure");
        Rejection.ShouldReject<ArgumentNullException>(
            () => new ServiceCollection().AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db").UseSchedulingStrategy(null!), "strategy");
    }

    public static TheoryData<string, Action<SqliteQueueOptions>, string> InvalidOptions => new()
    {
        { "ConnectionString", o => o.ConnectionString = "", "is required" },
        { "ConnectionString", o => o.ConnectionString = "Nonsense=1", "nonsense" },
        { "TablePrefix", o => o.TablePrefix = "a;DROP", "'a;DROP'" },
        { "BusyTimeout", o => o.BusyTimeout = TimeSpan.Zero, "got 00:00:00" },
        { "DefaultMaxAttempts", o => o.DefaultMaxAttempts = 1001, "got 1001" },
        { "PollInterval", o => o.PollInterval = TimeSpan.FromHours(3), "got 03:00:00" },
        { "MaxPayloadLength", o => o.MaxPayloadLength = 0, "got 0" },
        { "DefaultStrategy", o => o.DefaultStrategy = null!, "is required" },
        { "CacheSizeKiB", o => o.CacheSizeKiB = 0, "got 0" },
        { "WalAutoCheckpointPages", o => o.WalAutoCheckpointPages = -1, "got -1" },
        { "JournalSizeLimitBytes", o => o.JournalSizeLimitBytes = long.MaxValue, "got 9223372036854775807" },
        { "MmapSizeBytes", o => o.MmapSizeBytes = -4096, "got -4096" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task Resolving_IQueueClient_with_invalid_options_throws_OptionsValidationException_naming_the_option(
        string option, Action<SqliteQueueOptions> breakIt, string shown)
    {
        await using var db = new TestDatabase();
        var services = new ServiceCollection();
        services.AddSqliteQueue(o =>
        {
            o.ConnectionString = ConnectionString(db);
            breakIt(o);
        });
        await using var provider = services.BuildServiceProvider();

        foreach (var resolve in new Func<object>[]
        {
            () => provider.GetRequiredService<IQueueClient>(),
            () => provider.GetRequiredService<IWorkerFactory>(),
            () => provider.GetRequiredService<SqliteJobQueue>(),
        })
        {
            var exception = FluentActions.Invoking(resolve).Should().Throw<OptionsValidationException>().Which;
            exception.OptionsType.Should().Be<SqliteQueueOptions>();
            exception.Failures.Should().ContainSingle().Which.Should().StartWith($"SqliteQueueOptions.{option} ").And.ContainEquivalentOf(shown);
        }
    }

    [Fact]
    public async Task AddSqliteQueue_validates_options_at_start()
    {
        var services = new ServiceCollection();
        services.AddSqliteQueue(o => o.DefaultMaxAttempts = 0);
        await using var provider = services.BuildServiceProvider();
        var exception = FluentActions.Invoking(() => provider.GetRequiredService<IStartupValidator>().Validate())
            .Should().Throw<OptionsValidationException>().Which;
        exception.Failures.Should().Contain(f => f.StartsWith("SqliteQueueOptions.ConnectionString ", StringComparison.Ordinal))
            .And.Contain(f => f.StartsWith("SqliteQueueOptions.DefaultMaxAttempts ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddSqliteQueue_validates_the_SQLite_settings_at_start()
    {
        var services = new ServiceCollection();
        services.AddSqliteQueue(o =>
        {
            o.ConnectionString = "Data Source=never-opened.db";
            o.CacheSizeKiB = 4_194_305;
            o.WalAutoCheckpointPages = 1_048_577;
            o.JournalSizeLimitBytes = -2;
            o.MmapSizeBytes = 0x7fff0001;
        });
        await using var provider = services.BuildServiceProvider();
        var exception = FluentActions.Invoking(() => provider.GetRequiredService<IStartupValidator>().Validate())
            .Should().Throw<OptionsValidationException>().Which;
        exception.Failures.Should().BeEquivalentTo(
            "SqliteQueueOptions.CacheSizeKiB must be from 256 to 4194304; got 4194305.",
            "SqliteQueueOptions.WalAutoCheckpointPages must be from 0 to 1048576; got 1048577.",
            "SqliteQueueOptions.JournalSizeLimitBytes must be from -1 to 17179869184; got -2.",
            "SqliteQueueOptions.MmapSizeBytes must be from 0 to 2147418112; got 2147418113.");
    }

    [Fact]
    public async Task AddSqliteQueue_uses_a_TimeProvider_registered_before_it()
    {
        await using var db = new TestDatabase();
        var time = new ManualTimeProvider(new DateTimeOffset(2031, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSqliteQueue(o => o.ConnectionString = ConnectionString(db));
        await using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<TimeProvider>().Should().BeSameAs(time);
        var client = provider.GetRequiredService<IQueueClient>();
        var id = await client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { Delay = TimeSpan.FromMinutes(5) });
        var job = (await client.GetJobAsync(id))!;
        job.CreatedAt.Should().Be(time.GetUtcNow());
        job.RunAt.Should().Be(time.GetUtcNow().AddMinutes(5));

        var worker = provider.GetRequiredService<IWorkerFactory>().Create();
        (await worker.ClaimAsync()).Should().BeEmpty();
        time.Advance(TimeSpan.FromMinutes(5));
        var claimed = (await worker.ClaimAsync()).Should().ContainSingle().Subject;
        claimed.LeaseExpiresAt.Should().Be(time.GetUtcNow() + new SqliteQueueOptions().DefaultLeaseDuration);
    }

    [Fact]
    public async Task AddSqliteQueue_falls_back_to_the_system_clock()
    {
        var services = new ServiceCollection();
        services.AddSqliteQueue(o => o.ConnectionString = "Data Source=never-opened.db");
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<TimeProvider>().Should().BeSameAs(TimeProvider.System);
    }

    [Fact]
    public async Task UseSchedulingStrategy_sets_the_default_strategy()
    {
        var services = new ServiceCollection();
        services.AddSqliteQueue(o => o.ConnectionString = "Data Source=never-opened.db").UseSchedulingStrategy(SchedulingStrategies.Lifo);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IOptions<SqliteQueueOptions>>().Value.DefaultStrategy.Should().BeSameAs(SchedulingStrategies.Lifo);
    }
}
