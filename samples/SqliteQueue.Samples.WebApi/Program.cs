// An ASP.NET Core minimal API that enqueues jobs, and from the same code the worker that runs them:
//   dotnet run                                  the web app, with the queue's hosted worker in the same process
//   dotnet run -- --Queue:RunWorker=false       the web app only enqueues and serves ...
//   dotnet run -- worker                        ... and this process, the same queue registration, runs the jobs,
//                                               the recurring schedules and maintenance until Ctrl+C or SIGTERM
//   dotnet run -- stats                         counts per queue and state (--json for JSON)
//   dotnet run -- jobs list --state dead        and the other commands: dotnet run -- --help
// Its endpoints:
//   POST /jobs               enqueue a job            GET  /jobs/{id}   read its state
//   POST /jobs/{id}/cancel   cancel it                GET  /stats       counts per queue and state
// and its recurring jobs:
//   GET  /recurring                  list them        GET  /recurring/{name}/history   what each occurrence did
//   POST /recurring/{name}/trigger   run one now      POST /recurring/{name}/pause, /resume
// and its file:
//   GET  /storage                    size, WAL, free pages and the last run of each maintenance task
// and the dashboard, in a browser on this machine:
//   GET  /dashboard/                 counts, throughput, jobs, dead jobs, schedules, workers, storage
// The queue file is ConnectionStrings:Queue (e.g. the variable ConnectionStrings__Queue, which the worker reads too),
// else sqlitequeue-webapi-sample.db in the temp folder.
using System.Text.Json;
using System.Text.Json.Serialization;
using SqliteQueue;
using SqliteQueue.CommandLine;
using SqliteQueue.Dashboard;
using SqliteQueue.Maintenance;
using SqliteQueue.Recurring;
using SqliteQueue.Samples.WebApi;

if (SqliteQueueCommandLine.IsCommand(args))
{
    // Without args: the command line is the command's, not configuration. Environment variables are still read,
    // so ConnectionStrings__Queue points the worker at the same file as the web app.
    var worker = Host.CreateApplicationBuilder();
    worker.Services.AddSampleQueue(worker.Configuration, runWorker: true);
    return await SqliteQueueCommandLine.RunAsync(worker, args);
}

var builder = WebApplication.CreateBuilder(args);

// Off when a separate `dotnet run -- worker` runs the jobs: this process then only enqueues and serves.
builder.Services.AddSampleQueue(builder.Configuration, runWorker: builder.Configuration.GetValue("Queue:RunWorker", defaultValue: true));

builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

// The dashboard at /dashboard: local requests only, since no authorization policy is applied to it.
builder.Services.AddSqliteQueueDashboard(o => o.Title = "WebApi sample");

var app = builder.Build();
app.MapSqliteQueueDashboard("/dashboard");

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

await app.RunAsync();
return 0;
