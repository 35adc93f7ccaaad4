using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Dashboard.Internal;

namespace SqliteQueue.Dashboard.Api;

/// <summary><c>GET api/config</c>: what the page needs before anything else, and the antiforgery token its actions send.</summary>
internal static class ConfigApi
{
    public static Task<IResult> GetAsync(DashboardServices dashboard, HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        var options = dashboard.Options;
        var model = new ConfigModel(
            options.Title,
            options.ReadOnly,
            options.RefreshInterval.TotalSeconds,
            new AntiforgeryModel(DashboardServiceCollectionExtensions.AntiforgeryHeaderName, tokens.RequestToken),
            context.Request.PathBase.Add(new PathString(dashboard.Pattern)).Value ?? dashboard.Pattern);
        return Task.FromResult(DashboardJson.Ok(model));
    }
}
