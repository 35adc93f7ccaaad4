using Microsoft.AspNetCore.Http;
using SqliteQueue.Dashboard.Internal;

namespace SqliteQueue.Dashboard.Api;

/// <summary><c>GET api/jobs</c> (keyset pages by id, oldest or newest first) and <c>GET api/jobs/{id}</c>.</summary>
internal static class JobsApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static async Task<IResult> ListAsync(DashboardServices dashboard, HttpContext context)
    {
        var request = context.Request;
        var newest = QueryParser.NewestFirst(request);

        // One cursor per order: after (ids above) for oldest first, before (ids below) for newest first.
        if (QueryParser.Has(request, newest ? "after" : "before"))
        {
            throw new BadRequestException(DashboardErrors.CursorNotForOrder(newest ? "after" : "before", newest ? "newest" : "oldest"));
        }

        var query = new JobQuery
        {
            State = QueryParser.State(request),
            Queue = QueryParser.Text(request, "queue"),
            Type = QueryParser.Text(request, "type"),
            NewestFirst = newest,
            AfterId = newest ? 0 : QueryParser.Long(request, "after", 0, 0, long.MaxValue),
            BeforeId = newest && QueryParser.Has(request, "before") ? QueryParser.Long(request, "before", 0, 2, long.MaxValue) : null,
            Limit = (int)QueryParser.Long(request, "limit", DefaultLimit, 1, MaxLimit),
        };
        var search = QueryParser.Text(request, "search");

        var (page, searchedThrough) = await JobSearch.ListAsync(dashboard.Queue.Client, query, search, context.RequestAborted).ConfigureAwait(false);
        return DashboardJson.Ok(new JobListModel(page.Jobs.Select(JobRowModel.From).ToList(), page.NextAfterId, page.NextBeforeId, searchedThrough));
    }

    public static async Task<IResult> GetAsync(DashboardServices dashboard, HttpContext context)
    {
        var id = RouteId(context);
        var client = dashboard.Queue.Client;
        var job = await client.GetJobAsync(id, context.RequestAborted).ConfigureAwait(false);
        if (job is null)
        {
            return DashboardJson.Error(StatusCodes.Status404NotFound, DashboardErrors.JobNotFound(id));
        }

        var executions = await client.GetExecutionsAsync(id, context.RequestAborted).ConfigureAwait(false);
        return DashboardJson.Ok(new JobDetailModel(JobModel.From(job), executions.Select(ExecutionModel.From).ToList()));
    }

    /// <summary>The <c>{id}</c> route value, strictly: a whole number greater than zero.</summary>
    public static long RouteId(HttpContext context) =>
        QueryParser.Integer("id", context.Request.RouteValues["id"] as string ?? "", 1, long.MaxValue);
}
