using Microsoft.AspNetCore.Http;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>Serves <c>index.html</c> at the mount path and the other embedded files under <c>assets/</c>.</summary>
internal static class AssetEndpoints
{
    public const string NoCache = "no-cache";
    public const string Immutable = "public, max-age=31536000, immutable";

    /// <summary>
    /// The page at <c>/jobs/</c>; <c>/jobs</c> redirects there so the page's relative URLs (<c>assets/app.js</c>,
    /// <c>api/overview</c>) resolve under the mount path.
    /// </summary>
    public static Task<IResult> IndexAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.HasValue || !request.Path.Value!.EndsWith('/'))
        {
            var target = request.PathBase + request.Path + "/" + request.QueryString;
            return Task.FromResult(Results.Redirect(target));
        }

        return Task.FromResult(Serve(context, EmbeddedAssets.Find("index.html"), immutable: false));
    }

    /// <summary>
    /// An embedded file. Every answer carries an ETag and answers a matching <c>If-None-Match</c> with 304. A request
    /// that names the file's current hash (<c>?v=</c>) is cached for a year as immutable; any other is revalidated.
    /// </summary>
    public static Task<IResult> AssetAsync(HttpContext context)
    {
        var file = context.Request.RouteValues["file"] as string ?? "";
        var asset = EmbeddedAssets.Find(file);
        var immutable = asset is not null && context.Request.Query["v"] == asset.Hash;
        return Task.FromResult(Serve(context, asset, immutable));
    }

    private static IResult Serve(HttpContext context, Asset? asset, bool immutable)
    {
        if (asset is null)
        {
            return DashboardJson.Error(StatusCodes.Status404NotFound, "No such dashboard file.");
        }

        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = immutable ? Immutable : NoCache;
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == asset.ETag || t.Trim() == "*")))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }
}
