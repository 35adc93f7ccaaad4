using Microsoft.AspNetCore.Http;
using SqliteQueue.Dashboard.Internal;
using SqliteQueue.Recurring;

namespace SqliteQueue.Dashboard.Api;

/// <summary>
/// <c>GET api/overview</c>, read every refresh: only counters and small tables (per-queue statistics, live workers,
/// schedules, the health check, the throughput buckets), never a scan of the jobs, so it stays fast at millions of jobs.
/// </summary>
internal static class OverviewApi
{
    public static async Task<IResult> GetAsync(DashboardServices dashboard, HttpContext context)
    {
        var queue = dashboard.Queue;
        var ct = context.RequestAborted;
        var now = dashboard.Time.GetUtcNow();

        var stats = await queue.Client.GetStatsAsync(ct).ConfigureAwait(false);
        var workers = await queue.Monitor.ListWorkersAsync(ct).ConfigureAwait(false);
        var schedules = await queue.Recurring.ListAsync(ct).ConfigureAwait(false);
        var health = await queue.Monitor.CheckHealthAsync(cancellationToken: ct).ConfigureAwait(false);
        var buckets = await ThroughputReader.ReadAsync(queue, now - ThroughputReader.Window, ThroughputReader.Bucket, ct).ConfigureAwait(false);

        var model = new OverviewModel(
            stats.Queues.Select(QueueRowModel.From).ToList(),
            QueueRowModel.Total(stats.Queues),
            workers.Count,
            new ThroughputModel(ThroughputReader.Bucket.TotalSeconds, buckets.Select(b => new BucketModel(b.Start, b.Completed, b.Failed)).ToList()),
            new RecurringCountsModel(
                schedules.Count(s => s.State == RecurringJobState.Active),
                schedules.Count(s => s.State == RecurringJobState.Paused),
                schedules.Count(s => s.State == RecurringJobState.Broken)),
            new HealthModel(health.Status, health.Problems.Select(p => new ProblemModel(p.Figure, p.Status, p.Description)).ToList()));
        return DashboardJson.Ok(model);
    }
}
