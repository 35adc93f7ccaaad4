using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>Guards every POST: refused with 403 in read-only mode, and with 400 without a valid antiforgery token.</summary>
internal sealed class ActionFilter(DashboardServices dashboard) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            return await next(context).ConfigureAwait(false);
        }

        if (dashboard.Options.ReadOnly)
        {
            return DashboardJson.Error(StatusCodes.Status403Forbidden, DashboardErrors.ReadOnly);
        }

        var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
        try
        {
            await antiforgery.ValidateRequestAsync(http).ConfigureAwait(false);
        }
        catch (AntiforgeryValidationException)
        {
            return DashboardJson.Error(StatusCodes.Status400BadRequest, DashboardErrors.Antiforgery);
        }

        return await next(context).ConfigureAwait(false);
    }
}
