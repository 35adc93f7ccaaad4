using System.Net;
using SqliteQueue.Dashboard.Internal;

namespace SqliteQueue.Tests.Dashboard;

public sealed class DashboardAssetTests
{
    [Fact]
    public async Task Index_is_served_at_the_mount_path_as_html_with_the_security_headers()
    {
        await using var host = await DashboardHost.StartAsync();

        using var response = await host.Client.GetAsync(new Uri("", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        response.Headers.CacheControl!.NoCache.Should().BeTrue();
        response.Headers.ETag.Should().NotBeNull();
        response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
        response.Headers.GetValues("Content-Security-Policy").Single().Should()
            .Contain("default-src 'self'").And.Contain("script-src 'self'").And.Contain("style-src 'self'")
            .And.Contain("img-src 'self' data:").And.Contain("connect-src 'self'").And.Contain("frame-ancestors 'none'");
        (await response.Content.ReadAsStringAsync()).Should().Contain("<html");
    }

    [Fact]
    public async Task The_mount_path_without_a_slash_redirects_to_it_with_one_so_relative_urls_resolve()
    {
        await using var host = await DashboardHost.StartAsync();

        using var response = await host.Client.GetAsync(new Uri("/jobs?x=1", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.OriginalString.Should().Be("/jobs/?x=1");
    }

    [Fact]
    public async Task An_asset_has_an_etag_and_answers_304_when_it_matches()
    {
        await using var host = await DashboardHost.StartAsync();
        using var first = await host.Client.GetAsync(new Uri("assets/index.html", UriKind.Relative));
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        first.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        first.Headers.CacheControl!.NoCache.Should().BeTrue();
        first.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        var etag = first.Headers.ETag!;

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("assets/index.html", UriKind.Relative));
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await host.Client.SendAsync(request);

        second.StatusCode.Should().Be(HttpStatusCode.NotModified);
        second.Headers.ETag.Should().Be(etag);
    }

    [Fact]
    public async Task An_asset_asked_for_by_its_current_hash_is_cached_as_immutable_and_by_another_is_revalidated()
    {
        await using var host = await DashboardHost.StartAsync();
        using var plain = await host.Client.GetAsync(new Uri("assets/index.html", UriKind.Relative));
        var hash = plain.Headers.ETag!.Tag.Trim('"');

        using var hashed = await host.Client.GetAsync(new Uri("assets/index.html?v=" + hash, UriKind.Relative));
        using var stale = await host.Client.GetAsync(new Uri("assets/index.html?v=0000", UriKind.Relative));

        hashed.Headers.CacheControl!.ToString().Should().Be("public, max-age=31536000, immutable");
        stale.Headers.CacheControl!.NoCache.Should().BeTrue();
    }

    [Fact]
    public async Task An_unknown_asset_is_404()
    {
        await using var host = await DashboardHost.StartAsync();

        using var response = await host.Client.GetAsync(new Uri("assets/nothing.js", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
    }

    [Theory]
    [InlineData("app.js", "text/javascript; charset=utf-8")]
    [InlineData("app.css", "text/css; charset=utf-8")]
    [InlineData("index.html", "text/html; charset=utf-8")]
    [InlineData("logo.svg", "image/svg+xml")]
    [InlineData("icon.png", "image/png")]
    [InlineData("notes.txt", null)]
    public void Each_kind_of_asset_has_its_content_type(string file, string? expected)
    {
        EmbeddedAssets.ContentType(file).Should().Be(expected);
    }
}
