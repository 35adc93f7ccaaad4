// A generic-host console app: two handlers registered with AddHandler, a hosted worker added with AddWorker,
// some jobs enqueued once the host has started, then a wait until every job is finished, the stats, and exit.
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqliteQueue;
using SqliteQueue.Retry;
using SqliteQueue.Samples.ConsoleWorker;

var databasePath = Path.Combine(Path.GetTempPath(), $"sqlitequeue-worker-sample-{Guid.NewGuid():N}.db");
Console.WriteLine($"Queue file: {databasePath}");

try
{
    return await RunAsync(databasePath, args);
}
finally
{
    foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
    {
        File.Delete(file);
    }
}

static async Task<int> RunAsync(string databasePath, string[] args)
{
    var builder = Host.CreateApplicationBuilder(args);
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
    builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
    builder.Logging.AddFilter("SqliteQueue", LogLevel.Information);

    builder.Services.AddSingleton<WorkLog>();
    builder.Services
        .AddSqliteQueue(o =>
        {
            o.ConnectionString = $"Data Source={databasePath}";

            // Short retry spacing so the sample finishes quickly: attempt n waits up to 50 ms × 2^(n-1), at most 500 ms.
            o.BackoffPolicy = new ExponentialBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500));
        })
        .AddHandler<SendEmail, SendEmailHandler>(JobTypes.SendEmail)
        .AddHandler<ResizeImage, ResizeImageHandler>(JobTypes.ResizeImage)
        .AddWorker(o =>
        {
            o.WorkerId = "console-worker";
            o.Concurrency = 4;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });

    // Disposing the host disposes the queue store, which closes the file.
    using var host = builder.Build();
    await host.StartAsync();
    var client = host.Services.GetRequiredService<IQueueClient>();
    var clock = Stopwatch.StartNew();

    Console.WriteLine();
    Console.WriteLine("== Enqueue (the running worker is woken at once)");
    for (var i = 1; i <= 6; i++)
    {
        var id = await client.EnqueueAsync(JobTypes.SendEmail, new SendEmail($"user{i}@example.com", $"Welcome #{i}"));
        Console.WriteLine($"  job {id}: {JobTypes.SendEmail} to user{i}@example.com");
    }

    var images = new[]
    {
        new ResizeImage("photos/cat.png", 640),
        new ResizeImage("photos/dog.png", 320, FlakyFirstAttempt: true),
        new ResizeImage("photos/bird.png", 0),
        new ResizeImage("photos/fish.png", 1024),
    };
    var imageIds = await client.EnqueueManyAsync(JobTypes.ResizeImage, images, new EnqueueOptions { MaxAttempts = 3 });
    Console.WriteLine($"  jobs {imageIds[0]}..{imageIds[^1]}: {images.Length} x {JobTypes.ResizeImage} in one transaction");

    // A delayed job: the idle worker wakes by itself when its run-at time comes.
    var reminderId = await client.EnqueueAsync(
        JobTypes.SendEmail,
        new SendEmail("team@example.com", "Reminder"),
        new EnqueueOptions { Delay = TimeSpan.FromMilliseconds(500) });
    Console.WriteLine($"  job {reminderId}: {JobTypes.SendEmail} delayed by 500 ms");
    Console.WriteLine($"  active jobs: {await client.CountActiveAsync()}");

    Console.WriteLine();
    Console.WriteLine("== Worker output");
    using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
    {
        try
        {
            await client.WaitUntilAllIdleAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("The jobs did not finish within 30 seconds.");
            await host.StopAsync();
            return 1;
        }
    }

    Console.WriteLine();
    Console.WriteLine($"== All jobs finished after {clock.ElapsedMilliseconds} ms");
    var stats = (await client.GetStatsAsync()).For(QueueNames.Default);
    Console.WriteLine($"  pending {stats.Pending}, running {stats.Running}, completed {stats.Completed}, dead {stats.Dead}, cancelled {stats.Cancelled}");
    foreach (var (what, count) in host.Services.GetRequiredService<WorkLog>().Snapshot())
    {
        Console.WriteLine($"  {what}: {count}");
    }

    var flakyId = imageIds[1];
    Console.WriteLine($"  history of job {flakyId}:");
    foreach (var run in await client.GetExecutionsAsync(flakyId))
    {
        Console.WriteLine($"    attempt {run.Attempt}: {run.Outcome}{(run.Error is null ? "" : $" ({FirstLine(run.Error)})")}");
    }

    var rejected = await client.GetJobAsync(imageIds[2]);
    Console.WriteLine($"  job {imageIds[2]} is {rejected?.State} after {rejected?.Attempt} attempt(s): {FirstLine(rejected?.LastError)}");

    // Graceful stop: the worker stops claiming and waits (up to ShutdownTimeout) for running handlers.
    await host.StopAsync();
    return stats is { Completed: 10, Dead: 1 } ? 0 : 1;
}

static string FirstLine(string? text) => text is null ? "" : text.Split('\n')[0].Trim();
