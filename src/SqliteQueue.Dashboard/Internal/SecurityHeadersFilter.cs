using Microsoft.AspNetCore.Http;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>
/// Sets the security headers on every dashboard answer, before anything else runs (antiforgery adds its own
/// <c>X-Frame-Options</c> only when none is set). The policy allows no inline script or style: the page loads its
/// script and styles from <c>assets/</c>.
/// </summary>
internal sealed class SecurityHeadersFilter : IEndpointFilter
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var headers = context.HttpContext.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        return next(context);
    }
}
