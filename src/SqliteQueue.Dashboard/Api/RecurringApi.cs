using Microsoft.AspNetCore.Http;
using SqliteQueue.Dashboard.Internal;
using SqliteQueue.Recurring;

namespace SqliteQueue.Dashboard.Api;

/// <summary>Recurring schedules: the list with each one's next occurrences, a schedule's history, pause, resume and trigger.</summary>
internal static class RecurringApi
{
    public const int PreviewCount = 5;

    public static async Task<IResult> ListAsync(DashboardServices dashboard, HttpContext context)
    {
        var schedules = await dashboard.Queue.Recurring.ListAsync(context.RequestAborted).ConfigureAwait(false);
        var now = dashboard.Time.GetUtcNow();
        return DashboardJson.Ok(new SchedulesModel(schedules.Select(s => Model(s, now)).ToList()));
    }

    public static async Task<IResult> HistoryAsync(DashboardServices dashboard, HttpContext context)
    {
        var name = RouteName(context);
        var limit = (int)QueryParser.Long(context.Request, "limit", 50, 1, JobsApi.MaxLimit);
        var recurring = dashboard.Queue.Recurring;
        if (await recurring.GetAsync(name, context.RequestAborted).ConfigureAwait(false) is null)
        {
            return NotFound(name);
        }

        var history = await recurring.GetHistoryAsync(name, limit, context.RequestAborted).ConfigureAwait(false);
        return DashboardJson.Ok(new HistoryModel(history.Select(OccurrenceModel.From).ToList()));
    }

    public static Task<IResult> PauseAsync(DashboardServices dashboard, HttpContext context) =>
        ActAsync(dashboard, context, (r, name, ct) => r.PauseAsync(name, ct));

    public static Task<IResult> ResumeAsync(DashboardServices dashboard, HttpContext context) =>
        ActAsync(dashboard, context, (r, name, ct) => r.ResumeAsync(name, ResumeFrom.Now, ct));

    public static async Task<IResult> TriggerAsync(DashboardServices dashboard, HttpContext context)
    {
        var name = RouteName(context);
        var recurring = dashboard.Queue.Recurring;
        if (await recurring.GetAsync(name, context.RequestAborted).ConfigureAwait(false) is null)
        {
            return NotFound(name);
        }

        long? jobId;
        try
        {
            jobId = await recurring.TriggerAsync(name, ignoreOverlap: false, context.RequestAborted).ConfigureAwait(false);
        }
        catch (KeyNotFoundException)
        {
            return NotFound(name);
        }

        var after = await recurring.GetAsync(name, context.RequestAborted).ConfigureAwait(false);
        return after is null ? NotFound(name) : DashboardJson.Ok(new ScheduleActionModel(name, jobId is not null, after.State, jobId));
    }

    private static async Task<IResult> ActAsync(DashboardServices dashboard, HttpContext context, Func<IRecurringJobs, string, CancellationToken, Task<bool>> action)
    {
        var name = RouteName(context);
        var recurring = dashboard.Queue.Recurring;
        bool found;
        try
        {
            found = await action(recurring, name, context.RequestAborted).ConfigureAwait(false);
        }
        catch (SqliteQueueException ex) when (ex.GetType() == typeof(SqliteQueueException))
        {
            // A broken schedule that still cannot be evaluated cannot be resumed.
            return DashboardJson.Error(StatusCodes.Status409Conflict, ex.Message);
        }

        var after = found ? await recurring.GetAsync(name, context.RequestAborted).ConfigureAwait(false) : null;
        return after is null ? NotFound(name) : DashboardJson.Ok(new ScheduleActionModel(name, true, after.State, null));
    }

    private static ScheduleModel Model(RecurringJobInfo s, DateTimeOffset now)
    {
        var d = s.Definition;
        string? description = null;
        IReadOnlyList<DateTimeOffset> next = [];
        try
        {
            var schedule = RecurringSchedule.Parse(d.Schedule, d.TimeZone);
            description = schedule.Describe();
            next = schedule.Preview(now, PreviewCount);
        }
        catch (ArgumentException)
        {
            // A schedule this process cannot evaluate (an unknown zone, H without a name): shown without a preview.
        }

        return new ScheduleModel(s.Name, d.JobType, d.Schedule, d.TimeZone, description, s.State, s.Source, d.Queue,
            s.NextRunAt, s.LastOccurrenceAt, s.LastJobId, s.FiredCount, s.LastError, next);
    }

    // The server decodes every escape in a path segment but "%2F", which would otherwise split it: a schedule named
    // "reports/daily" arrives as "reports%2Fdaily".
    private static string RouteName(HttpContext context) =>
        (context.Request.RouteValues["name"] as string ?? "").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static IResult NotFound(string name) => DashboardJson.Error(StatusCodes.Status404NotFound, DashboardErrors.ScheduleNotFound(name));
}
