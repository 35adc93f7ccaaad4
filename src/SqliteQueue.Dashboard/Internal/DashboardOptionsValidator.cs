using System.Globalization;
using Microsoft.Extensions.Options;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>Checks <see cref="DashboardOptions"/> at start-up; each message names the option, the value and the allowed range.</summary>
internal sealed class DashboardOptionsValidator : IValidateOptions<DashboardOptions>
{
    internal static readonly TimeSpan MinRefresh = TimeSpan.FromMilliseconds(500);
    internal static readonly TimeSpan MaxRefresh = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Title is null || options.Title.Length is < 1 or > 100 || string.IsNullOrWhiteSpace(options.Title))
        {
            var shown = options.Title is null ? "null" : "'" + options.Title + "'";
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"DashboardOptions.Title must be 1 to 100 characters, not only white space; got {shown} ({options.Title?.Length ?? 0} characters)."));
        }

        if (options.RefreshInterval < MinRefresh || options.RefreshInterval > MaxRefresh)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"DashboardOptions.RefreshInterval must be from {MinRefresh} to {MaxRefresh}; got {options.RefreshInterval}."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
