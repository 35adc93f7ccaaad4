using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>
/// Antiforgery options are global to the application, so the dashboard leaves them as the application set them: its
/// page always sends <c>X-SqliteQueue-Antiforgery</c>, which <see cref="ActionFilter"/> hands to antiforgery under
/// whatever header name is configured. Only an application that turned header tokens off (a null
/// <see cref="AntiforgeryOptions.HeaderName"/>) gets the dashboard's header name, since antiforgery then reads tokens
/// from forms alone and the dashboard posts JSON.
/// </summary>
internal sealed class AntiforgeryHeaderDefault : IPostConfigureOptions<AntiforgeryOptions>
{
    public void PostConfigure(string? name, AntiforgeryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.HeaderName ??= DashboardServiceCollectionExtensions.AntiforgeryHeaderName;
    }
}
