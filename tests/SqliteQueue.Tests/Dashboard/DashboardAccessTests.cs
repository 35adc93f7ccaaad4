using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SqliteQueue.Dashboard;

namespace SqliteQueue.Tests.Dashboard;

public sealed class DashboardAccessTests
{
    private static readonly IPAddress Remote = IPAddress.Parse("203.0.113.7");

    [Fact]
    public async Task Without_a_policy_a_remote_request_is_403_with_how_to_apply_one()
    {
        await using var host = await DashboardHost.StartRemoteAsync(Remote);

        foreach (var path in new[] { "", "api/overview", "assets/index.html" })
        {
            using var response = await host.Client.GetAsync(new Uri(path, UriKind.Relative));
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, path);
            response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
            JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString().Should().Be(
                "The SqliteQueue dashboard serves only local requests until it has an authorization policy: " +
                "apply an authorization policy: app.MapSqliteQueueDashboard(...).RequireAuthorization(...).");
        }
    }

    [Fact]
    public async Task With_a_policy_a_remote_signed_in_user_is_served_and_an_anonymous_one_is_not()
    {
        await using var host = await DashboardHost.StartRemoteAsync(Remote, group: g => g.RequireAuthorization(DashboardHost.Policy));

        using var signedIn = new HttpRequestMessage(HttpMethod.Get, new Uri("api/overview", UriKind.Relative));
        signedIn.Headers.Add(DashboardHost.UserHeader, "ops-person");
        using var served = await host.Client.SendAsync(signedIn);
        using var anonymous = await host.Client.GetAsync(new Uri("api/overview", UriKind.Relative));

        served.StatusCode.Should().Be(HttpStatusCode.OK);
        anonymous.StatusCode.Should().BeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Allow_anonymous_is_an_explicit_choice_that_serves_remote_requests()
    {
        await using var host = await DashboardHost.StartRemoteAsync(Remote, group: g => g.AllowAnonymous());

        using var response = await host.Client.GetAsync(new Uri("api/overview", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_local_request_without_a_policy_is_served()
    {
        await using var host = await DashboardHost.StartAsync();

        using var response = await host.Client.GetAsync(new Uri("api/overview", UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        host.BaseAddress.Host.Should().Be("127.0.0.1");
    }

    [Fact]
    public void Mapping_refuses_a_pattern_that_does_not_start_with_a_slash()
    {
        using var app = App(dashboard: true, queue: true);

        var act = () => app.MapSqliteQueueDashboard("jobs");

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("pattern");
        act.Should().Throw<ArgumentException>().WithMessage("The dashboard's path must start with '/', for example \"/jobs\"; got 'jobs'.*");
    }

    [Fact]
    public void Mapping_without_AddSqliteQueueDashboard_says_to_call_it()
    {
        using var app = App(dashboard: false, queue: true);

        var act = () => app.MapSqliteQueueDashboard();

        act.Should().Throw<InvalidOperationException>().WithMessage(
            "The SqliteQueue dashboard needs its services: call AddSqliteQueueDashboard() on the application's services before MapSqliteQueueDashboard.");
    }

    [Fact]
    public void Mapping_without_AddSqliteQueue_says_to_call_it()
    {
        using var app = App(dashboard: true, queue: false);

        var act = () => app.MapSqliteQueueDashboard();

        act.Should().Throw<InvalidOperationException>().WithMessage(
            "The SqliteQueue dashboard needs a queue: call AddSqliteQueue(...) on the application's services before MapSqliteQueueDashboard.");
    }

    [Theory]
    [InlineData("", 0, "DashboardOptions.Title must be 1 to 100 characters, not only white space; got '' (0 characters).")]
    [InlineData("x", 100, "DashboardOptions.RefreshInterval must be from 00:00:00.5000000 to 00:05:00; got 00:00:00.1000000.")]
    [InlineData("x", 600_000, "DashboardOptions.RefreshInterval must be from 00:00:00.5000000 to 00:05:00; got 00:10:00.")]
    public void Invalid_options_fail_when_the_dashboard_is_mapped_naming_the_option_and_value(string title, int refreshMs, string message)
    {
        using var app = App(dashboard: true, queue: true, o =>
        {
            o.Title = title;
            if (refreshMs > 0)
            {
                o.RefreshInterval = TimeSpan.FromMilliseconds(refreshMs);
            }
        });

        var act = () => app.MapSqliteQueueDashboard();

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(message);
    }

    [Fact]
    public void A_title_of_101_characters_is_refused()
    {
        using var app = App(dashboard: true, queue: true, o => o.Title = new string('t', 101));

        var act = () => app.Services.GetRequiredService<IOptions<DashboardOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().Which.Failures.Single().Should().EndWith("(101 characters).");
    }

    [Fact]
    public void The_application_antiforgery_header_is_kept_and_one_turned_off_gets_the_dashboards()
    {
        var services = new ServiceCollection();
        services.AddAntiforgery(o => o.HeaderName = "X-App-Token");
        services.AddSqliteQueueDashboard();
        using var withApp = services.BuildServiceProvider();
        var off = new ServiceCollection();
        off.AddAntiforgery(o => o.HeaderName = null);
        off.AddSqliteQueueDashboard();
        using var withOff = off.BuildServiceProvider();

        withApp.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.HeaderName.Should().Be("X-App-Token");
        withOff.GetRequiredService<IOptions<AntiforgeryOptions>>().Value.HeaderName.Should().Be("X-SqliteQueue-Antiforgery");
    }

    [Fact]
    public async Task With_the_applications_own_antiforgery_header_the_dashboard_header_still_works_and_the_applications_alone_does_not()
    {
        await using var host = await DashboardHost.StartAsync(services: s => s.AddAntiforgery(o => o.HeaderName = "X-App-Token"));
        var (header, token) = await host.AntiforgeryAsync();
        using var appHeader = new HttpRequestMessage(HttpMethod.Post, new Uri("api/storage/checkpoint", UriKind.Relative));
        appHeader.Headers.Add("X-App-Token", token);

        var (status, _) = await host.PostJsonAsync("api/storage/checkpoint");
        using var refused = await host.Client.SendAsync(appHeader);

        header.Should().Be("X-SqliteQueue-Antiforgery");
        status.Should().Be(HttpStatusCode.OK);
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    private static WebApplication App(bool dashboard, bool queue, Action<DashboardOptions>? options = null)
    {
        var builder = WebApplication.CreateBuilder();
        if (queue)
        {
            builder.Services.AddSqliteQueue(o => o.ConnectionString = $"Data Source={Path.Combine(Path.GetTempPath(), "sqlitequeue-dashboard-" + Guid.NewGuid().ToString("N") + ".db")}");
        }

        if (dashboard)
        {
            builder.Services.AddSqliteQueueDashboard(options);
        }

        return builder.Build();
    }
}
