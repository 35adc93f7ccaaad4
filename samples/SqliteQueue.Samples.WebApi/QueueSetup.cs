namespace SqliteQueue.Samples.WebApi;

/// <summary>
/// The queue as this application registers it, shared by the web app and by <c>dotnet run -- worker</c>, so both
/// processes agree on the file, the handlers and the recurring schedules.
/// </summary>
internal static class QueueSetup
{
    /// <summary>Registers the queue, its handlers and recurring jobs, and, with <paramref name="runWorker"/>, the background work.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">Read for <c>ConnectionStrings:Queue</c> and <c>Queue:BackupDirectory</c>.</param>
    /// <param name="runWorker">
    /// Whether this process runs jobs, fires the recurring schedules and runs maintenance. Without it the process
    /// only enqueues and reads, and a worker process on the same file does the rest.
    /// </param>
    /// <returns>The queue's builder, for more configuration.</returns>
    public static SqliteQueueBuilder AddSampleQueue(this IServiceCollection services, IConfiguration configuration, bool runWorker)
    {
        var connectionString = configuration.GetConnectionString("Queue")
            ?? $"Data Source={Path.Combine(Path.GetTempPath(), "sqlitequeue-webapi-sample.db")}";

        var queue = services
            .AddSqliteQueue(o => o.ConnectionString = connectionString)
            .AddHandler<SendEmail, SendEmailHandler>(JobTypes.SendEmail)
            .AddHandler<RenderReport, RenderReportHandler>(JobTypes.RenderReport)

            // Recurring jobs: written to the queue file when the app starts, fired by the scheduler of a process that
            // runs the worker. Every process declares them, so GET /recurring lists them in the web-only process too.
            .AddRecurringJob("nightly-sales-report", JobTypes.RenderReport, "0 2 * * *", r => r
                .InTimeZone("America/New_York")
                .WithPayload(new RenderReport(ReportId: 1, Pages: 20)))
            .AddRecurringJob("hourly-summary", JobTypes.RenderReport, "every 1 hour", r => r
                .WithPayload(new RenderReport(ReportId: 2, Pages: 1)))
            .ConfigureRecurringJobs(o => o.RunScheduler = runWorker)

            // Maintenance runs where the worker runs: finished jobs pruned, the WAL checkpointed, a daily integrity
            // check. Completed reports are kept for 3 days here instead of 1; a backup is written every 6 hours, the last 8 kept.
            .ConfigureMaintenance(o =>
            {
                o.Enabled = runWorker;
                o.Retention.Completed = TimeSpan.FromDays(3);
                o.BackupInterval = TimeSpan.FromHours(6);
                o.BackupDirectory = configuration["Queue:BackupDirectory"]
                    ?? Path.Combine(Path.GetTempPath(), "sqlitequeue-webapi-sample-backups");
                o.BackupsToKeep = 8;
            });

        if (runWorker)
        {
            queue.AddWorker(o =>
            {
                o.Concurrency = 4;
                o.ShutdownTimeout = TimeSpan.FromSeconds(5);
            });
        }

        return queue;
    }
}
