using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SqliteQueue.Dashboard.Internal;

namespace SqliteQueue.Dashboard;

/// <summary>Registers the dashboard's services: call it beside <c>AddSqliteQueue</c>, then map the dashboard with <c>app.MapSqliteQueueDashboard("/jobs")</c>.</summary>
public static class DashboardServiceCollectionExtensions
{
    /// <summary>The header the dashboard's page sends its antiforgery token in, unless the application set its own <see cref="AntiforgeryOptions.HeaderName"/>.</summary>
    internal const string AntiforgeryHeaderName = "X-SqliteQueue-Antiforgery";

    /// <summary>
    /// Registers the dashboard's options (validated at start-up) and ASP.NET Core antiforgery. When the application has
    /// not chosen an antiforgery header, the dashboard's page uses <c>X-SqliteQueue-Antiforgery</c>; when it has, the
    /// page uses the application's (<c>GET api/config</c> names it). The antiforgery cookie is left as the application
    /// configured it (by default HTTP-only and <c>SameSite=Strict</c>). Calling this twice is safe.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the dashboard's options, or <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddSqliteQueueDashboard(this IServiceCollection services, Action<DashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<DashboardOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DashboardOptions>, DashboardOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<AntiforgeryOptions>, AntiforgeryHeaderDefault>());
        if (!services.Any(d => d.ServiceType == typeof(DashboardMarker)))
        {
            options.ValidateOnStart();
            services.AddAntiforgery();
            services.AddSingleton<DashboardMarker>();
        }

        return services;
    }
}
