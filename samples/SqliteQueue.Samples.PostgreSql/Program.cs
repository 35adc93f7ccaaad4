// A background-work queue on an existing PostgreSQL database: the web side enqueues usage events instead of sending
// them inline, and `worker` processes (on any number of machines) send them. The same program is every part:
//
//   dotnet run -- enqueue [count]   enqueue usage events and exit (what the application does on each request)
//   dotnet run -- worker            run a worker until Ctrl+C or SIGTERM
//   dotnet run -- counts            the jobs by state, with one SQL query against the queue's table
//   dotnet run                      all three: enqueue 200 events, work until none is left, print the counts
//
// The connection string comes from SQLITEQUEUE_PG (default: the private test server scripts/postgres.sh starts) and
// the queue's tables live in the schema SQLITEQUEUE_PG_SCHEMA (default "usage_queue").
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using SqliteQueue;
using SqliteQueue.PostgreSql;
using SqliteQueue.Retry;
using SqliteQueue.Samples.PostgreSql;

var connectionString = Environment.GetEnvironmentVariable("SQLITEQUEUE_PG") is { Length: > 0 } fromEnvironment
    ? fromEnvironment
    : "Host=127.0.0.1;Port=54329;Username=sqlitequeue;Database=sqlitequeue_test";
var schema = Environment.GetEnvironmentVariable("SQLITEQUEUE_PG_SCHEMA") is { Length: > 0 } s ? s : "usage_queue";

return args switch
{
    ["enqueue"] => await EnqueueAsync(200),
    ["enqueue", var count] when int.TryParse(count, out var n) && n > 0 => await EnqueueAsync(n),
    ["worker"] => await WorkAsync(untilIdle: false),
    ["counts"] => await PrintCountsAsync(),
    [] => await DemoAsync(),
    _ => Usage(),
};

async Task<int> DemoAsync()
{
    await EnqueueAsync(200);
    await WorkAsync(untilIdle: true);
    return await PrintCountsAsync();
}

async Task<int> EnqueueAsync(int count)
{
    // Without a host: one queue object for the process, disposed at the end.
    await using var queue = new SqliteJobQueue(Configure(new SqliteQueueOptions()));
    var events = Enumerable.Range(1, count).Select(i => new TrackUsage($"page_view:{i}", $"user-{i % 17}"));
    var ids = await queue.Client.EnqueueManyAsync(JobTypes.TrackUsage, events);
    Console.WriteLine($"Enqueued {ids.Count} usage events (ids {ids[0]}..{ids[^1]}).");
    return 0;
}

async Task<int> WorkAsync(bool untilIdle)
{
    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
    builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
    builder.Logging.AddFilter("SqliteQueue", LogLevel.Error);
    builder.Services.AddSingleton<UsageSink>();
    builder.Services
        .AddSqliteQueue(o => Configure(o))
        .AddHandler<TrackUsage, TrackUsageHandler>(JobTypes.TrackUsage)
        .AddWorker(o => o.Concurrency = 8);

    using var host = builder.Build();
    await host.StartAsync();
    Console.WriteLine(untilIdle ? "Working until the queue is empty..." : "Worker running; Ctrl+C stops it.");
    if (untilIdle)
    {
        await host.Services.GetRequiredService<IQueueClient>().WaitUntilAllIdleAsync();
        await host.StopAsync();
    }
    else
    {
        await host.WaitForShutdownAsync();
    }

    Console.WriteLine($"This worker sent {host.Services.GetRequiredService<UsageSink>().Sent} events.");
    return 0;
}

// The seed's "check it works" query, against the queue's own table: states are plain words there.
async Task<int> PrintCountsAsync()
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand($"SELECT state, count(*) FROM \"{schema}\".jobs GROUP BY 1 ORDER BY 1", connection);
    await using var reader = await command.ExecuteReaderAsync();
    while (await reader.ReadAsync())
    {
        Console.WriteLine($"{reader.GetString(0),-10} {reader.GetInt64(1)}");
    }

    return 0;
}

SqliteQueueOptions Configure(SqliteQueueOptions options)
{
    // Short retry spacing so a failed send is tried again within the demo's run.
    options.BackoffPolicy = new ExponentialBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500));
    options.DefaultMaxAttempts = 3;
    return options.UsePostgreSql(connectionString, pg => pg.Schema = schema);
}

static int Usage()
{
    Console.Error.WriteLine("usage: enqueue [count] | worker | counts   (no argument: enqueue, work until empty, counts)");
    return 2;
}
