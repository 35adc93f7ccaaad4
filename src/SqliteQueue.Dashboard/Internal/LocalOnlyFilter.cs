using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>
/// The default access rule: an endpoint with no authorization metadata (neither <c>RequireAuthorization</c> nor
/// <c>AllowAnonymous</c>) serves only local requests, whose remote address is a loopback address or the server's own.
/// Behind a reverse proxy on the same machine every request looks local: apply a policy there, or
/// <c>UseForwardedHeaders</c> so the remote address is the client's. A request with no remote address (an in-memory
/// test server, a Unix socket) is not local.
/// </summary>
internal sealed class LocalOnlyFilter(ILogger logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        if (HasAuthorization(http) || IsLocal(http.Connection))
        {
            return await next(context).ConfigureAwait(false);
        }

        logger.RemoteRequestRefused(http.Connection.RemoteIpAddress?.ToString() ?? "(none)");
        return DashboardJson.Error(StatusCodes.Status403Forbidden, DashboardErrors.NotLocal);
    }

    internal static bool HasAuthorization(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata;
        return metadata is not null && (metadata.GetMetadata<IAuthorizeData>() is not null || metadata.GetMetadata<IAllowAnonymous>() is not null);
    }

    internal static bool IsLocal(ConnectionInfo connection)
    {
        var remote = connection.RemoteIpAddress;
        if (remote is null)
        {
            return false;
        }

        if (IPAddress.IsLoopback(remote))
        {
            return true;
        }

        var local = connection.LocalIpAddress;
        return local is not null && Normalize(remote).Equals(Normalize(local));
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
