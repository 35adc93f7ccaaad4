// A generic-host console app: three handlers registered with AddHandler, three recurring jobs declared with
// AddRecurringJob, a hosted worker added with AddWorker, maintenance set with ConfigureMaintenance, some jobs enqueued
// once the host has started, then a wait until every job is finished and the two-second schedule has fired, the
// stats, the storage figures, and exit.
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqliteQueue;
using SqliteQueue.Maintenance;
using SqliteQueue.Recurring;
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
        .AddHandler<Housekeeping, HousekeepingHandler>(JobTypes.Housekeeping)

        // Recurring jobs, one of each form. At start they are written to the queue file, and the host's scheduler
        // enqueues a housekeeping job at each occurrence, on their own queue.
        .AddRecurringJob("morning-digest", JobTypes.Housekeeping, "0 9 * * *", r => r
            .InTimeZone("America/New_York")
            .WithPayload(new Housekeeping("send the morning digest"))
            .OnQueue(Queues.Recurring))
        .AddRecurringJob("disk-check", JobTypes.Housekeeping, "*/2 * * * * *", r => r    // 6 fields, seconds first
            .WithPayload(new Housekeeping("check free disk space"))
            .OnQueue(Queues.Recurring))
        .AddRecurringJob("backup", JobTypes.Housekeeping, "every 1 day at 09:00", r => r
            .InTimeZone("Europe/Berlin")
            .WithPayload(new Housekeeping("back up the database"))
            .OnQueue(Queues.Recurring))
        .AddWorker(o =>
        {
            o.WorkerId = "console-worker";
            o.Queues = [QueueNames.Default, Queues.Recurring];
            o.Concurrency = 4;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        })

        // Maintenance runs in the host by default (prune, WAL checkpoints, a daily integrity check); here completed
        // jobs are kept for 2 hours instead of 1 day, and dead ones for 30 days instead of 14.
        .ConfigureMaintenance(o =>
        {
            o.Retention.Completed = TimeSpan.FromHours(2);
            o.Retention.Dead = TimeSpan.FromDays(30);
        });

    // Disposing the host disposes the queue store, which closes the file.
    using var host = builder.Build();
    await host.StartAsync();
    var client = host.Services.GetRequiredService<IQueueClient>();
    var recurring = host.Services.GetRequiredService<IRecurringJobs>();
    var clock = Stopwatch.StartNew();

    Console.WriteLine();
    Console.WriteLine("== Recurring jobs (declared in code, written to the file at start)");
    foreach (var schedule in await recurring.ListAsync())
    {
        var definition = schedule.Definition;
        var parsed = RecurringSchedule.Parse(definition.Schedule, definition.TimeZone);
        Console.WriteLine($"  {schedule.Name}: \"{definition.Schedule}\" = {parsed.Describe()}; next run {schedule.NextRunAt:yyyy-MM-dd HH:mm:ss} UTC");
    }

    // A trigger enqueues the schedule's job now; the schedule's next run does not move.
    var digestId = await recurring.TriggerAsync("morning-digest");
    Console.WriteLine($"  job {digestId}: morning-digest triggered by hand");

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

            // The two-second schedule fires by itself: wait for its first job, then for that job to finish.
            while ((await recurring.GetAsync("disk-check", timeout.Token))?.LastJobId is null)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
            }

            var diskCheck = await recurring.GetAsync("disk-check", timeout.Token);
            await client.WaitForJobAsync(diskCheck!.LastJobId!.Value, timeout.Token);
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

    Console.WriteLine("  history of recurring job disk-check (newest first):");
    foreach (var entry in await recurring.GetHistoryAsync("disk-check", limit: 5))
    {
        Console.WriteLine($"    {entry.ScheduledFor:HH:mm:ss} UTC: {entry.Outcome}{(entry.JobId is { } job ? $", job {job}" : "")}");
    }

    var storage = await host.Services.GetRequiredService<IQueueMaintenance>().GetStorageInfoAsync();
    Console.WriteLine($"  file {storage.FileBytes} bytes ({storage.FreePages} of {storage.PageCount} pages free, auto-vacuum {storage.AutoVacuum}), WAL {storage.WalBytes} bytes");
    foreach (var run in storage.LastRuns)
    {
        Console.WriteLine($"  last {run.Task}: {(run.Succeeded ? "ok" : "failed")}, {run.Summary}");
    }

    var digest = await client.GetJobAsync(digestId!.Value);

    // Graceful stop: the worker stops claiming and waits (up to ShutdownTimeout) for running handlers.
    await host.StopAsync();
    return stats is { Completed: 10, Dead: 1 } && digest?.State == JobState.Completed ? 0 : 1;
}

static string FirstLine(string? text) => text is null ? "" : text.Split('\n')[0].Trim();
