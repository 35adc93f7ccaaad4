using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.Storage;

/// <summary>
/// A shared in-memory database lives only while a connection to it is open: the store holds one from its
/// construction to its disposal, so the application's own tables in it survive the gaps between connections.
/// </summary>
public sealed class InMemoryStoreTests
{
    private static string NewName() => $"sqq-mem-{Guid.NewGuid():N}";

    private static string Shared(string name) => $"Data Source={name};Mode=Memory;Cache=Shared";

    /// <summary>The application's own connection: unpooled, so closing it really closes it.</summary>
    private static SqliteConnection OpenOwn(string name)
    {
        var connection = new SqliteConnection(Shared(name) + ";Pooling=False");
        connection.Open();
        return connection;
    }

    private static void CreateOrders(string name)
    {
        using var connection = OpenOwn(name);
        Execute(connection, "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders (total) VALUES (9.5);");
    }

    private static long CountOrders(SqliteConnection connection) =>
        Convert.ToInt64(Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE name = 'orders';"), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Tables_created_after_the_queue_is_constructed_survive_until_the_queue_is_used()
    {
        var name = NewName();
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = Shared(name) }, new ManualTimeProvider());
        CreateOrders(name);

        var id = await queue.Client.EnqueueJsonAsync("t", "{}");

        using var check = OpenOwn(name);
        CountOrders(check).Should().Be(1, "the application's table lives in the queue's memory database");
        Scalar(check, "SELECT count(*) FROM orders;").Should().Be(1L);
        Scalar(check, "SELECT count(*) FROM queue_jobs;").Should().Be(1L);
        (await queue.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);
    }

    [Fact]
    public async Task Tables_created_before_the_queue_survive_their_connection_closing_before_the_queue_is_used()
    {
        var name = NewName();
        SqliteJobQueue queue;
        using (var own = OpenOwn(name))
        {
            Execute(own, "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders (total) VALUES (9.5), (12);");
            queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = Shared(name) }, new ManualTimeProvider());
        }

        await using (queue)
        {
            await queue.Client.EnqueueJsonAsync("t", "{}");
            using var check = OpenOwn(name);
            Scalar(check, "SELECT count(*) FROM orders;").Should().Be(2L);
        }
    }

    [Fact]
    public async Task The_DI_registered_store_holds_its_memory_database_from_its_construction()
    {
        var name = NewName();
        var services = new ServiceCollection();
        services.AddSqliteQueue(o => o.ConnectionString = Shared(name));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IQueueClient>();
        CreateOrders(name);

        await client.EnqueueJsonAsync("t", "{}");

        using var check = OpenOwn(name);
        CountOrders(check).Should().Be(1);
    }

    [Fact]
    public async Task Disposing_the_queue_lets_its_memory_database_go()
    {
        var name = NewName();
        var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = Shared(name) }, new ManualTimeProvider());
        CreateOrders(name);
        await queue.Client.EnqueueJsonAsync("t", "{}");

        await queue.DisposeAsync();

        using var check = OpenOwn(name);
        CountOrders(check).Should().Be(0, "nothing of the store stays open after it is disposed");
    }

    [Fact]
    public async Task Disposing_an_unused_queue_lets_its_memory_database_go()
    {
        var name = NewName();
        var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = Shared(name) }, new ManualTimeProvider());
        CreateOrders(name);

        queue.Dispose();

        using var check = OpenOwn(name);
        CountOrders(check).Should().Be(0);
    }
}
