// An ASP.NET Core minimal API with the queue's hosted worker in the same process:
//   POST /jobs               enqueue a job            GET  /jobs/{id}   read its state
//   POST /jobs/{id}/cancel   cancel it                GET  /stats       counts per queue and state
using System.Text.Json;
using System.Text.Json.Serialization;
using SqliteQueue;
using SqliteQueue.Samples.WebApi;

var builder = WebApplication.CreateBuilder(args);

var connectionString = builder.Configuration.GetConnectionString("Queue")
    ?? $"Data Source={Path.Combine(Path.GetTempPath(), "sqlitequeue-webapi-sample.db")}";

builder.Services
    .AddSqliteQueue(o => o.ConnectionString = connectionString)
    .AddHandler<SendEmail, SendEmailHandler>(JobTypes.SendEmail)
    .AddHandler<RenderReport, RenderReportHandler>(JobTypes.RenderReport)
    .AddWorker(o =>
    {
        o.Concurrency = 4;
        o.ShutdownTimeout = TimeSpan.FromSeconds(5);
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

app.Run();
