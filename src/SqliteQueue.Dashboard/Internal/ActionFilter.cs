using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

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

        UseDashboardHeader(http);
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

    /// <summary>
    /// Antiforgery reads the token from the header the application configured (by default
    /// <c>RequestVerificationToken</c>); the dashboard's page sends it in <c>X-SqliteQueue-Antiforgery</c>. Only the
    /// dashboard's header counts: the configured one is replaced by it, or removed when it is absent.
    /// </summary>
    private static void UseDashboardHeader(HttpContext http)
    {
        var configured = http.RequestServices.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.HeaderName;
        const string Ours = DashboardServiceCollectionExtensions.AntiforgeryHeaderName;
        if (configured is null || string.Equals(configured, Ours, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var headers = http.Request.Headers;
        if (headers.TryGetValue(Ours, out var token))
        {
            headers[configured] = token;
        }
        else
        {
            headers.Remove(configured);
        }
    }
}
