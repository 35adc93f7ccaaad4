using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SqliteQueue.Dashboard;

namespace SqliteQueue.Tests.Dashboard;

/// <summary>
/// A web application with the dashboard mapped at <c>/jobs</c> over a fresh temporary queue file. <see cref="StartAsync"/>
/// runs real Kestrel on 127.0.0.1 (so requests are really local); <see cref="StartRemoteAsync"/> runs an in-memory
/// TestServer whose requests all come from a given remote address. Both register a <c>Test</c> authentication scheme
/// (a request with an <c>X-Test-User</c> header is signed in as that user) and an <c>ops</c> policy requiring a user.
/// </summary>
public sealed class DashboardHost : IAsyncDisposable
{
    public const string UserHeader = "X-Test-User";
    public const string Policy = "ops";

    private readonly WebApplication _app;
    private readonly string _directory;

    private DashboardHost(WebApplication app, string directory, string databasePath, Uri baseAddress, HttpClient client)
    {
        _app = app;
        _directory = directory;
        DatabasePath = databasePath;
        BaseAddress = baseAddress;
        Client = client;
        Queue = app.Services.GetRequiredService<SqliteJobQueue>();
    }

    /// <summary>The dashboard's URL, ending in a slash: relative API paths (<c>api/overview</c>) resolve under it.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client with <see cref="BaseAddress"/> and, on Kestrel, a cookie container (for the antiforgery cookie).</summary>
    public HttpClient Client { get; }

    public SqliteJobQueue Queue { get; }

    public string DatabasePath { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<DashboardHost> StartAsync(Action<DashboardOptions>? options = null, Action<RouteGroupBuilder>? group = null) =>
        StartCoreAsync(options, group, remote: null, services: null);

    /// <summary>As <see cref="StartAsync(Action{DashboardOptions}?, Action{RouteGroupBuilder}?)"/>, with the application's own services registered first.</summary>
    public static Task<DashboardHost> StartAsync(Action<IServiceCollection> services, Action<DashboardOptions>? options = null, Action<RouteGroupBuilder>? group = null) =>
        StartCoreAsync(options, group, remote: null, services);

    /// <summary>An in-memory server: every request arrives from <paramref name="remote"/>.</summary>
    public static Task<DashboardHost> StartRemoteAsync(IPAddress remote, Action<DashboardOptions>? options = null, Action<RouteGroupBuilder>? group = null) =>
        StartCoreAsync(options, group, remote, services: null);

    private static async Task<DashboardHost> StartCoreAsync(Action<DashboardOptions>? options, Action<RouteGroupBuilder>? group, IPAddress? remote, Action<IServiceCollection>? services)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sqlitequeue-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var databasePath = Path.Combine(directory, "jobs.db");

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        if (remote is null)
        {
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        services?.Invoke(builder.Services);
        builder.Services.AddSqliteQueue(o => o.ConnectionString = $"Data Source={databasePath}")
            .ConfigureMaintenance(m => m.Enabled = false);
        builder.Services.AddSqliteQueueDashboard(options);
        builder.Services.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, TestAuthenticationHandler>("Test", null);
        builder.Services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.RequireAuthenticatedUser());

        var app = builder.Build();
        if (remote is not null)
        {
            app.Use((context, next) =>
            {
                context.Connection.RemoteIpAddress = remote;
                context.Connection.LocalIpAddress = IPAddress.Parse("10.0.0.1");
                return next(context);
            });
        }

        app.UseAuthentication();
        app.UseAuthorization();
        var mapped = app.MapSqliteQueueDashboard("/jobs");
        group?.Invoke(mapped);
        await app.StartAsync();
        await app.Services.GetRequiredService<SqliteJobQueue>().InitializeAsync();

        Uri root;
        HttpClient client;
        if (remote is null)
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            root = new Uri(address.TrimEnd('/') + "/jobs/");
            client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = root };
        }
        else
        {
            client = app.GetTestServer().CreateClient();
            root = new Uri(client.BaseAddress!, "/jobs/");
            client.BaseAddress = root;
        }

        return new DashboardHost(app, directory, databasePath, root, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere: the temp directory is cleaned up later.
        }
    }

    /// <summary>Signs in a request that carries <see cref="UserHeader"/>, as that user; any other stays anonymous.</summary>
    private sealed class TestAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Headers.TryGetValue(UserHeader, out var user) || string.IsNullOrEmpty(user))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user!)], "Test");
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), "Test")));
        }
    }
}
