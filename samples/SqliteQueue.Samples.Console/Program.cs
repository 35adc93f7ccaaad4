// A tour of SqliteQueue's hand-driven worker API: register the queue in DI, enqueue jobs of two types,
// then claim, handle and settle them in a loop until the queue is empty, and print what happened.
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using SqliteQueue;
using SqliteQueue.Retry;
using SqliteQueue.Samples;

var databasePath = Path.Combine(Path.GetTempPath(), $"sqlitequeue-sample-{Guid.NewGuid():N}.db");
Console.WriteLine($"Queue file: {databasePath}");

try
{
    return await RunAsync(databasePath);
}
finally
{
    foreach (var file in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
    {
        File.Delete(file);
    }
}

static async Task<int> RunAsync(string databasePath)
{
    var services = new ServiceCollection();
    services.AddLogging();
    services.AddSqliteQueue(o => o.ConnectionString = $"Data Source={databasePath}");

    // Disposing the provider disposes the queue store, which closes the file.
    await using var provider = services.BuildServiceProvider();
    var client = provider.GetRequiredService<IQueueClient>();
    var worker = provider.GetRequiredService<IWorkerFactory>().Create(new WorkerOptions
    {
        WorkerId = "sample-worker",
        BackoffPolicy = new ExponentialBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200)),
    });

    // 1. Enqueue: twelve emails one by one, eight reports in one transaction.
    Console.WriteLine();
    Console.WriteLine("== Enqueue");
    for (var i = 1; i <= 12; i++)
    {
        var id = await client.EnqueueAsync(SendEmail.Type, new SendEmail($"user{i}@example.com", $"Welcome #{i}"));
        Console.WriteLine($"  job {id}: {SendEmail.Type} to user{i}@example.com");
    }

    var reports = Enumerable.Range(1, 8).Select(n => new RenderReport(100 + n, Pages: n * 3, FailFirstAttempt: n == 3)).ToList();
    var reportIds = await client.EnqueueManyAsync(RenderReport.Type, reports);
    Console.WriteLine($"  jobs {reportIds[0]}..{reportIds[^1]}: {reports.Count} x {RenderReport.Type} in one transaction");
    var flakyJobId = reportIds[2];

    // A deduplication key: while the first job is pending or running, the second enqueue adds nothing.
    var digest = new EnqueueOptions { DeduplicationKey = "daily-digest" };
    var digestId = await client.EnqueueAsync(SendEmail.Type, new SendEmail("team@example.com", "Daily digest"), digest);
    var again = await client.EnqueueAsync(SendEmail.Type, new SendEmail("team@example.com", "Daily digest"), digest);
    Console.WriteLine($"  job {digestId}: daily digest; enqueued again with the same key -> job {again} (nothing added)");

    PrintStats("before the worker runs", (await client.GetStatsAsync()).For(QueueNames.Default));

    // 2. Work: claim a batch, handle each job, settle it; repeat until nothing is pending or running.
    Console.WriteLine();
    Console.WriteLine($"== Worker {worker.WorkerId}");
    var deadline = Stopwatch.StartNew();
    while (true)
    {
        var jobs = await worker.ClaimAsync(maxJobs: 8);
        if (jobs.Count == 0)
        {
            var stats = (await client.GetStatsAsync()).For(QueueNames.Default);
            if (stats.Pending == 0 && stats.Running == 0)
            {
                break;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                Console.WriteLine("The queue did not drain within 30 seconds.");
                return 1;
            }

            // Only retries waiting out their backoff are left; look again shortly.
            Console.WriteLine($"  nothing runnable; {stats.Pending} pending job(s) wait for their retry time");
            await Task.Delay(TimeSpan.FromMilliseconds(50));
            continue;
        }

        Console.WriteLine($"  claimed {jobs.Count}: {string.Join(", ", jobs.Select(j => $"{j.Id} (attempt {j.Attempt})"))}");
        foreach (var job in jobs)
        {
            try
            {
                await Handlers.HandleAsync(job, CancellationToken.None);
                var completed = await worker.CompleteAsync(job);
                Console.WriteLine($"    job {job.Id} {(completed ? "completed" : "lease lost, not completed")}");
            }
            catch (Exception ex)
            {
                var failedAt = TimeProvider.System.GetUtcNow();
                var result = await worker.FailAsync(job, ex.Message, permanent: ex is NotSupportedException);
                var next = result.NextRunAt is { } at
                    ? $", next attempt after a {Math.Max(0, (at - failedAt).TotalMilliseconds):0} ms backoff"
                    : "";
                Console.WriteLine($"    job {job.Id} failed on attempt {job.Attempt}: {ex.Message} -> {result.State}{next}");
            }
        }
    }

    // 3. Report.
    PrintStats("after the worker is done", (await client.GetStatsAsync()).For(QueueNames.Default));

    var flaky = await client.GetJobAsync(flakyJobId);
    Console.WriteLine();
    Console.WriteLine($"== History of job {flakyJobId} ({flaky!.Type}, now {flaky.State} after {flaky.Attempt} attempts)");
    foreach (var run in await client.GetExecutionsAsync(flakyJobId))
    {
        var error = run.Error is null ? "" : $": {run.Error}";
        Console.WriteLine($"  attempt {run.Attempt} by {run.WorkerId}: {run.Outcome} {(run.FinishedAt - run.StartedAt).TotalMilliseconds:0} ms after its claim{error}");
    }

    return 0;
}

static void PrintStats(string when, QueueStatistics s)
{
    Console.WriteLine();
    Console.WriteLine($"== Stats of queue '{s.Queue}' {when}");
    Console.WriteLine($"  pending {s.Pending} (runnable {s.Runnable}), running {s.Running}, completed {s.Completed}, dead {s.Dead}, cancelled {s.Cancelled}");
}
