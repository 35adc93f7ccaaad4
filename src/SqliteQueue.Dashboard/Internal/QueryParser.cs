using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>Reads query parameters strictly: a malformed value is a 400 naming the parameter, never a silent default.</summary>
internal static class QueryParser
{
    public static JobState? State(HttpRequest request)
    {
        var raw = Single(request, "state");
        if (raw is null)
        {
            return null;
        }

        // Names only: Enum.TryParse would also take "3" or "dead,running".
        foreach (var state in Enum.GetValues<JobState>())
        {
            if (string.Equals(state.ToString(), raw, StringComparison.OrdinalIgnoreCase))
            {
                return state;
            }
        }

        throw new BadRequestException(DashboardErrors.BadState(raw));
    }

    /// <summary>The <c>order</c> parameter: true for <c>newest</c>, false for <c>oldest</c> (the default).</summary>
    public static bool NewestFirst(HttpRequest request) => Single(request, "order") switch
    {
        null => false,
        var raw when string.Equals(raw, "oldest", StringComparison.OrdinalIgnoreCase) => false,
        var raw when string.Equals(raw, "newest", StringComparison.OrdinalIgnoreCase) => true,
        var raw => throw new BadRequestException(DashboardErrors.BadOrder(raw)),
    };

    /// <summary>Whether the parameter was given, with a value.</summary>
    public static bool Has(HttpRequest request, string name) => Single(request, name) is not null;

    public static long Long(HttpRequest request, string name, long fallback, long min, long max)
    {
        var raw = Single(request, name);
        return raw is null ? fallback : Integer(name, raw, min, max);
    }

    public static long Integer(string name, string raw, long min, long max)
    {
        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new BadRequestException(DashboardErrors.BadInteger(name, raw, min, max));
        }

        return value;
    }

    public static string? Text(HttpRequest request, string name)
    {
        var raw = Single(request, name);
        if (raw is null)
        {
            return null;
        }

        if (raw.Length > 200)
        {
            throw new BadRequestException(DashboardErrors.BadText(name, raw));
        }

        return raw;
    }

    /// <summary>The parameter's one value, or null when absent or empty; a parameter given twice is refused.</summary>
    private static string? Single(HttpRequest request, string name)
    {
        var values = request.Query[name];
        if (values.Count > 1)
        {
            throw new BadRequestException($"The parameter '{name}' is given {values.Count.ToString(CultureInfo.InvariantCulture)} times; give it once.");
        }

        var value = values.Count == 1 ? values[0] : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
