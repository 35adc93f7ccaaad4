using Microsoft.AspNetCore.Http;
using SqliteQueue.Dashboard.Internal;

namespace SqliteQueue.Dashboard.Api;

/// <summary>Retry, cancel and delete one job: 404 for an unknown job, 409 when its state does not allow the action.</summary>
internal static class JobActionsApi
{
    public static async Task<IResult> RetryAsync(DashboardServices dashboard, HttpContext context)
    {
        var id = JobsApi.RouteId(context);
        var client = dashboard.Queue.Client;
        bool retried;
        try
        {
            retried = await client.RetryAsync(id, context.RequestAborted).ConfigureAwait(false);
        }
        catch (SqliteQueueException ex) when (ex.GetType() == typeof(SqliteQueueException))
        {
            // Another live job holds its deduplication key.
            return DashboardJson.Error(StatusCodes.Status409Conflict, ex.Message);
        }

        if (retried)
        {
            return DashboardJson.Ok(new JobActionModel(id, true, "retried"));
        }

        var job = await client.GetJobAsync(id, context.RequestAborted).ConfigureAwait(false);
        return job is null
            ? DashboardJson.Error(StatusCodes.Status404NotFound, DashboardErrors.JobNotFound(id))
            : DashboardJson.Error(StatusCodes.Status409Conflict, DashboardErrors.CannotRetry(id, job.State));
    }

    public static async Task<IResult> CancelAsync(DashboardServices dashboard, HttpContext context)
    {
        var id = JobsApi.RouteId(context);
        var client = dashboard.Queue.Client;
        var result = await client.CancelAsync(id, context.RequestAborted).ConfigureAwait(false);
        switch (result)
        {
            case CancelResult.Cancelled:
                return DashboardJson.Ok(new JobActionModel(id, true, "cancelled"));
            case CancelResult.CancellationRequested:
                return DashboardJson.Ok(new JobActionModel(id, true, "cancellationRequested"));
            case CancelResult.NotFound:
                return DashboardJson.Error(StatusCodes.Status404NotFound, DashboardErrors.JobNotFound(id));
            default:
                var job = await client.GetJobAsync(id, context.RequestAborted).ConfigureAwait(false);
                return DashboardJson.Error(StatusCodes.Status409Conflict, DashboardErrors.CannotCancel(id, job?.State ?? JobState.Completed));
        }
    }

    public static async Task<IResult> DeleteAsync(DashboardServices dashboard, HttpContext context)
    {
        var id = JobsApi.RouteId(context);
        var queue = dashboard.Queue;
        var deleted = await queue.Maintenance.DeleteJobsAsync([id], context.RequestAborted).ConfigureAwait(false);
        if (deleted > 0)
        {
            return DashboardJson.Ok(new JobActionModel(id, true, "deleted"));
        }

        var job = await queue.Client.GetJobAsync(id, context.RequestAborted).ConfigureAwait(false);
        return job is null
            ? DashboardJson.Error(StatusCodes.Status404NotFound, DashboardErrors.JobNotFound(id))
            : DashboardJson.Error(StatusCodes.Status409Conflict, DashboardErrors.CannotDelete(id));
    }
}
