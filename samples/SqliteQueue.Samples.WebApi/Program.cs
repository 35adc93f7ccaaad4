// An ASP.NET Core minimal API with the queue's hosted worker in the same process:
//   POST /jobs               enqueue a job            GET  /jobs/{id}   read its state
//   POST /jobs/{id}/cancel   cancel it                GET  /stats       counts per queue and state
// and its recurring jobs:
//   GET  /recurring                  list them        GET  /recurring/{name}/history   what each occurrence did
//   POST /recurring/{name}/trigger   run one now      POST /recurring/{name}/pause, /resume
// and its file:
//   GET  /storage                    size, WAL, free pages and the last run of each maintenance task
using System.Text.Json;
using System.Text.Json.Serialization;
using SqliteQueue;
using SqliteQueue.Maintenance;
using SqliteQueue.Recurring;
using SqliteQueue.Samples.WebApi;

var builder = WebApplication.CreateBuilder(args);

var connectionString = builder.Configuration.GetConnectionString("Queue")
    ?? $"Data Source={Path.Combine(Path.GetTempPath(), "sqlitequeue-webapi-sample.db")}";

builder.Services
    .AddSqliteQueue(o => o.ConnectionString = connectionString)
    .AddHandler<SendEmail, SendEmailHandler>(JobTypes.SendEmail)
    .AddHandler<RenderReport, RenderReportHandler>(JobTypes.RenderReport)

    // Recurring jobs: written to the queue file when the app starts, fired by the scheduler the worker brings.
    .AddRecurringJob("nightly-sales-report", JobTypes.RenderReport, "0 2 * * *", r => r
        .InTimeZone("America/New_York")
        .WithPayload(new RenderReport(ReportId: 1, Pages: 20)))
    .AddRecurringJob("hourly-summary", JobTypes.RenderReport, "every 1 hour", r => r
        .WithPayload(new RenderReport(ReportId: 2, Pages: 1)))
    .AddWorker(o =>
    {
        o.Concurrency = 4;
        o.ShutdownTimeout = TimeSpan.FromSeconds(5);
    })

    // Maintenance runs in the app by default: finished jobs pruned, the WAL checkpointed, a daily integrity check.
    // Completed reports are kept for 3 days here instead of 1; a backup is written every 6 hours, the last 8 kept.
    .ConfigureMaintenance(o =>
    {
        o.Retention.Completed = TimeSpan.FromDays(3);
        o.BackupInterval = TimeSpan.FromHours(6);
        o.BackupDirectory = builder.Configuration["Queue:BackupDirectory"]
            ?? Path.Combine(Path.GetTempPath(), "sqlitequeue-webapi-sample-backups");
        o.BackupsToKeep = 8;
    });

builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

var app = builder.Build();

app.MapPost("/jobs", async (EnqueueRequest request, IQueueClient queue, CancellationToken cancellationToken) =>
{
    if (request.Type is null || !JobTypes.All.Contains(request.Type))
    {
        return Results.ValidationProblem(new Dictionary<string, string[]>
        {
            ["type"] = [$"Unknown job type '{request.Type}'. Known: {string.Join(", ", JobTypes.All)}."],
        });
    }

    if (request.Payload.ValueKind != JsonValueKind.Object)
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["payload"] = ["The payload must be a JSON object."] });
    }

    try
    {
        var options = new EnqueueOptions
        {
            Delay = request.DelaySeconds is { } delay ? TimeSpan.FromSeconds(delay) : null,
            Timeout = request.TimeoutSeconds is { } timeout ? TimeSpan.FromSeconds(timeout) : null,
            MaxAttempts = request.MaxAttempts,
            DeduplicationKey = request.DeduplicationKey,
        };
        var id = await queue.EnqueueJsonAsync(request.Type, request.Payload.GetRawText(), options, cancellationToken);
        return Results.Accepted($"/jobs/{id}", new { id });
    }
    catch (ArgumentException ex)
    {
        // The queue checks every option and says what is wrong, e.g. a MaxAttempts out of range.
        return Results.ValidationProblem(new Dictionary<string, string[]> { [ex.ParamName ?? "request"] = [ex.Message] });
    }
});

app.MapGet("/jobs/{id:long}", async (long id, IQueueClient queue, CancellationToken cancellationToken) =>
    id > 0 && await queue.GetJobAsync(id, cancellationToken) is { } job
        ? Results.Ok(JobView.From(job))
        : Results.NotFound());

app.MapPost("/jobs/{id:long}/cancel", async (long id, IQueueClient queue, CancellationToken cancellationToken) =>
{
    if (id <= 0)
    {
        return Results.NotFound();
    }

    var result = await queue.CancelAsync(id, cancellationToken);
    return result switch
    {
        CancelResult.NotFound => Results.NotFound(),
        CancelResult.AlreadyFinished => Results.Conflict(new { id, result }),
        _ => Results.Ok(new { id, result }), // Cancelled (was pending) or CancellationRequested (running; its handler is stopped)
    };
});

app.MapGet("/stats", async (IQueueClient queue, CancellationToken cancellationToken) =>
{
    var stats = await queue.GetStatsAsync(cancellationToken);
    return Results.Ok(new { active = await queue.CountActiveAsync(cancellationToken: cancellationToken), stats.Queues });
});

app.MapGet("/recurring", async (IRecurringJobs recurring, CancellationToken cancellationToken) =>
    Results.Ok((await recurring.ListAsync(cancellationToken)).Select(RecurringView.From)));

app.MapGet("/recurring/{name}/history", async (string name, int? limit, IRecurringJobs recurring, CancellationToken cancellationToken) =>
    await recurring.GetAsync(name, cancellationToken) is null
        ? Results.NotFound()
        : Results.Ok(await recurring.GetHistoryAsync(name, Math.Clamp(limit ?? 50, 1, 1000), cancellationToken)));

app.MapPost("/recurring/{name}/trigger", async (string name, bool? ignoreOverlap, IRecurringJobs recurring, CancellationToken cancellationToken) =>
{
    try
    {
        // The schedule's job, enqueued now; the schedule's next run does not move.
        var id = await recurring.TriggerAsync(name, ignoreOverlap ?? false, cancellationToken);
        return id is { } jobId
            ? Results.Accepted($"/jobs/{jobId}", new { id = jobId })
            : Results.Conflict(new { name, reason = "An earlier job of this schedule is still live (its overlap policy); pass ?ignoreOverlap=true to run one anyway." });
    }
    catch (KeyNotFoundException)
    {
        return Results.NotFound();
    }
});

app.MapPost("/recurring/{name}/pause", async (string name, IRecurringJobs recurring, CancellationToken cancellationToken) =>
    await recurring.PauseAsync(name, cancellationToken) ? Results.Ok(RecurringView.From((await recurring.GetAsync(name, cancellationToken))!)) : Results.NotFound());

app.MapPost("/recurring/{name}/resume", async (string name, IRecurringJobs recurring, CancellationToken cancellationToken) =>
{
    try
    {
        // ResumeFrom.Now drops the occurrences that came while it was paused.
        return await recurring.ResumeAsync(name, ResumeFrom.Now, cancellationToken)
            ? Results.Ok(RecurringView.From((await recurring.GetAsync(name, cancellationToken))!))
            : Results.NotFound();
    }
    catch (SqliteQueueException ex)
    {
        // A broken schedule that still cannot be evaluated on this machine; the message says why.
        return Results.Conflict(new { name, reason = ex.Message });
    }
});

app.MapGet("/storage", async (IQueueMaintenance maintenance, CancellationToken cancellationToken) =>
    Results.Ok(await maintenance.GetStorageInfoAsync(cancellationToken)));

app.Run();
