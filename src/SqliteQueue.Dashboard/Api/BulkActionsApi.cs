using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SqliteQueue.Dashboard.Internal;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Dashboard.Api;

/// <summary>Retry and delete many jobs: by ids in the body, or every job that matches a filter.</summary>
internal static class BulkActionsApi
{
    public const int MaxIds = 1000;

    public static async Task<IResult> RetryIdsAsync(DashboardServices dashboard, HttpContext context)
    {
        var ids = await ReadIdsAsync(context).ConfigureAwait(false);
        var client = dashboard.Queue.Client;
        long changed = 0;
        foreach (var id in ids)
        {
            try
            {
                if (await client.RetryAsync(id, context.RequestAborted).ConfigureAwait(false))
                {
                    changed++;
                }
            }
            catch (SqliteQueueException ex) when (ex.GetType() == typeof(SqliteQueueException))
            {
                // Its deduplication key is held by a live job: left as it is, as RetryJobsAsync leaves such jobs.
            }
        }

        return DashboardJson.Ok(new ChangedModel(changed));
    }

    public static async Task<IResult> DeleteIdsAsync(DashboardServices dashboard, HttpContext context)
    {
        var ids = await ReadIdsAsync(context).ConfigureAwait(false);
        var changed = await dashboard.Queue.Maintenance.DeleteJobsAsync(ids, context.RequestAborted).ConfigureAwait(false);
        return DashboardJson.Ok(new ChangedModel(changed));
    }

    /// <summary><c>POST api/jobs/retry-all?state=dead&amp;queue=&amp;type=</c>: every matching dead (or cancelled) job.</summary>
    public static async Task<IResult> RetryAllAsync(DashboardServices dashboard, HttpContext context)
    {
        var filter = Filter(context.Request, "dead or cancelled", s => s is JobState.Dead or JobState.Cancelled);
        var changed = await dashboard.Queue.Maintenance.RetryJobsAsync(filter, context.RequestAborted).ConfigureAwait(false);
        return DashboardJson.Ok(new ChangedModel(changed));
    }

    /// <summary><c>POST api/jobs/delete-all?state=dead&amp;queue=&amp;type=</c>: every matching job of a finished state.</summary>
    public static async Task<IResult> DeleteAllAsync(DashboardServices dashboard, HttpContext context)
    {
        var filter = Filter(context.Request, "completed, dead or cancelled", s => s.IsFinished());
        var changed = await dashboard.Queue.Maintenance.DeleteJobsAsync(filter, context.RequestAborted).ConfigureAwait(false);
        return DashboardJson.Ok(new ChangedModel(changed));
    }

    private static JobFilter Filter(HttpRequest request, string allowed, Func<JobState, bool> isAllowed)
    {
        var state = QueryParser.State(request) ?? JobState.Dead;
        if (!isAllowed(state))
        {
            throw new BadRequestException(DashboardErrors.StateNotAllowed(state.ToString().ToLowerInvariant(), allowed));
        }

        return new JobFilter(state) { Queue = QueryParser.Text(request, "queue"), Type = QueryParser.Text(request, "type") };
    }

    private static async Task<IReadOnlyList<long>> ReadIdsAsync(HttpContext context)
    {
        IdsBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<IdsBody>(context.Request.Body, DashboardJson.Options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            throw new BadRequestException(DashboardErrors.BodyNotIds);
        }

        if (body?.Ids is not { Count: > 0 and <= MaxIds } ids || ids.Any(id => id <= 0))
        {
            throw new BadRequestException(DashboardErrors.BodyNotIds);
        }

        return ids.Distinct().ToList();
    }
}
