using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>
/// Antiforgery options are global to the application. The dashboard names a header only when the application left
/// <see cref="AntiforgeryOptions.HeaderName"/> unset, so an application that uses antiforgery its own way keeps it, and
/// the page reads whichever header name is in force from <c>GET api/config</c>.
/// </summary>
internal sealed class AntiforgeryHeaderDefault : IPostConfigureOptions<AntiforgeryOptions>
{
    public void PostConfigure(string? name, AntiforgeryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.HeaderName ??= DashboardServiceCollectionExtensions.AntiforgeryHeaderName;
    }
}
