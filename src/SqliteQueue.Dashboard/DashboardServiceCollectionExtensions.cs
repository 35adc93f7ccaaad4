using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SqliteQueue.Dashboard.Internal;

namespace SqliteQueue.Dashboard;

/// <summary>Registers the dashboard's services: call it beside <c>AddSqliteQueue</c>, then map the dashboard with <c>app.MapSqliteQueueDashboard("/jobs")</c>.</summary>
public static class DashboardServiceCollectionExtensions
{
    /// <summary>The header the dashboard's page sends its antiforgery token in, whatever <see cref="AntiforgeryOptions.HeaderName"/> the application uses.</summary>
    internal const string AntiforgeryHeaderName = "X-SqliteQueue-Antiforgery";

    /// <summary>
    /// Registers the dashboard's options (validated at start-up) and ASP.NET Core antiforgery. The application's
    /// antiforgery options are left as they are: the dashboard's page sends its token in <c>X-SqliteQueue-Antiforgery</c>
    /// whatever header the application uses, with the application's antiforgery cookie (by default HTTP-only and
    /// <c>SameSite=Strict</c>). Calling this twice is safe.
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
