using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SqliteQueue.Dashboard.Api;
using SqliteQueue.Dashboard.Internal;

namespace SqliteQueue.Dashboard;

/// <summary>Maps the dashboard's page, assets and JSON API into an ASP.NET Core application.</summary>
public static class DashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the dashboard at <paramref name="pattern"/>: the page at <c>{pattern}/</c>, its files under
    /// <c>{pattern}/assets/</c> and the JSON API under <c>{pattern}/api/</c> (see docs/dashboard.md). Without an
    /// authorization policy it serves only local requests; apply one to the returned group with
    /// <c>.RequireAuthorization(...)</c> to serve others.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The mount path, starting with <c>/</c>.</param>
    /// <returns>The dashboard's route group, for <c>RequireAuthorization</c> and other conventions.</returns>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> does not start with <c>/</c>.</exception>
    /// <exception cref="InvalidOperationException"><c>AddSqliteQueueDashboard</c> or <c>AddSqliteQueue</c> was not called.</exception>
    /// <exception cref="OptionsValidationException">The <see cref="DashboardOptions"/> are invalid.</exception>
    public static RouteGroupBuilder MapSqliteQueueDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/jobs")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (string.IsNullOrEmpty(pattern) || pattern[0] != '/')
        {
            throw new ArgumentException(DashboardErrors.BadPattern(pattern), nameof(pattern));
        }

        var services = endpoints.ServiceProvider;
        if (services.GetService<DashboardMarker>() is null)
        {
            throw new InvalidOperationException(DashboardErrors.NotRegistered("its services", "AddSqliteQueueDashboard()"));
        }

        var queue = services.GetService<SqliteJobQueue>()
            ?? throw new InvalidOperationException(DashboardErrors.NotRegistered("a queue", "AddSqliteQueue(...)"));
        var options = services.GetRequiredService<IOptions<DashboardOptions>>();
        _ = options.Value; // Validates now: a bad option fails at start-up, not on the first request.
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("SqliteQueue.Dashboard") ?? NullLogger.Instance;
        var trimmed = pattern.Length > 1 ? pattern.TrimEnd('/') : "";
        var dashboard = new DashboardServices(queue, options, time, trimmed);

        var group = endpoints.MapGroup(trimmed.Length == 0 ? "/" : trimmed);
        group.AddEndpointFilter(new SecurityHeadersFilter());
        group.AddEndpointFilter(new LocalOnlyFilter(logger));
        group.AddEndpointFilter(new ErrorFilter(logger));
        group.AddEndpointFilter(new ActionFilter(dashboard));

        Get(group, "/", AssetEndpoints.IndexAsync);
        Get(group, "/assets/{file}", AssetEndpoints.AssetAsync);

        Get(group, "/api/config", c => ConfigApi.GetAsync(dashboard, c));
        Get(group, "/api/overview", c => OverviewApi.GetAsync(dashboard, c));
        Get(group, "/api/jobs", c => JobsApi.ListAsync(dashboard, c));
        Get(group, "/api/jobs/{id}", c => JobsApi.GetAsync(dashboard, c));
        Post(group, "/api/jobs/{id}/retry", c => JobActionsApi.RetryAsync(dashboard, c));
        Post(group, "/api/jobs/{id}/cancel", c => JobActionsApi.CancelAsync(dashboard, c));
        Post(group, "/api/jobs/{id}/delete", c => JobActionsApi.DeleteAsync(dashboard, c));
        Post(group, "/api/jobs/retry", c => BulkActionsApi.RetryIdsAsync(dashboard, c));
        Post(group, "/api/jobs/delete", c => BulkActionsApi.DeleteIdsAsync(dashboard, c));
        Post(group, "/api/jobs/retry-all", c => BulkActionsApi.RetryAllAsync(dashboard, c));
        Post(group, "/api/jobs/delete-all", c => BulkActionsApi.DeleteAllAsync(dashboard, c));
        Get(group, "/api/recurring", c => RecurringApi.ListAsync(dashboard, c));
        Get(group, "/api/recurring/{name}/history", c => RecurringApi.HistoryAsync(dashboard, c));
        Post(group, "/api/recurring/{name}/pause", c => RecurringApi.PauseAsync(dashboard, c));
        Post(group, "/api/recurring/{name}/resume", c => RecurringApi.ResumeAsync(dashboard, c));
        Post(group, "/api/recurring/{name}/trigger", c => RecurringApi.TriggerAsync(dashboard, c));
        Get(group, "/api/workers", c => StorageApi.WorkersAsync(dashboard, c));
        Get(group, "/api/storage", c => StorageApi.StorageAsync(dashboard, c));
        Post(group, "/api/storage/checkpoint", c => StorageApi.CheckpointAsync(dashboard, c));
        return group;
    }

    // Typed as Func<HttpContext, Task<IResult>>, not a lambda: a lambda would bind to the RequestDelegate overload,
    // which runs no endpoint filters (so no security headers, no local-only rule, no antiforgery).
    private static void Get(RouteGroupBuilder group, string pattern, Func<HttpContext, Task<IResult>> handler) =>
        group.MapGet(pattern, (Delegate)handler).ExcludeFromDescription();

    private static void Post(RouteGroupBuilder group, string pattern, Func<HttpContext, Task<IResult>> handler) =>
        group.MapPost(pattern, (Delegate)handler).ExcludeFromDescription();
}
