using System.Globalization;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>Every message the dashboard answers or throws with, in one place, so tests can assert them verbatim.</summary>
internal static class DashboardErrors
{
    public const string NotLocal =
        "The SqliteQueue dashboard serves only local requests until it has an authorization policy: " +
        "apply an authorization policy: app.MapSqliteQueueDashboard(...).RequireAuthorization(...).";

    public const string ReadOnly = "The dashboard is read-only (DashboardOptions.ReadOnly): actions are refused.";

    public const string Antiforgery =
        "The antiforgery token is missing or invalid: send the token from GET api/config in the header it names, with the cookie that response set.";

    public const string BodyNotIds = "The body must be JSON like {\"ids\": [1, 2, 3]}, with 1 to 1000 ids each greater than zero.";

    public static string BadPattern(string? pattern) =>
        $"The dashboard's path must start with '/', for example \"/jobs\"; got {Show(pattern)}.";

    public static string NotRegistered(string what, string call) =>
        $"The SqliteQueue dashboard needs {what}: call {call} on the application's services before MapSqliteQueueDashboard.";

    public static string BadState(string? value) =>
        $"The parameter 'state' must be one of {string.Join(", ", Enum.GetNames<JobState>().Select(n => n.ToLowerInvariant()))}; got {Show(value)}.";

    public static string StateNotAllowed(string value, string allowed) =>
        $"The parameter 'state' must be {allowed} here; got {Show(value)}.";

    public static string BadInteger(string name, string? value, long min, long max) =>
        string.Create(CultureInfo.InvariantCulture, $"The parameter '{name}' must be a whole number from {min} to {max}; got {Show(value)}.");

    public static string BadOrder(string? value) => $"The parameter 'order' must be oldest or newest; got {Show(value)}.";

    public static string CursorNotForOrder(string name, string order) =>
        $"The parameter '{name}' pages the other order: with order={order}, page with '{(order == "newest" ? "before" : "after")}'.";

    public static string BadText(string name, string? value) =>
        $"The parameter '{name}' must be 1 to 200 characters when given; got {Show(value)}.";

    public static string JobNotFound(long id) => string.Create(CultureInfo.InvariantCulture, $"No job has id {id}.");

    public static string ScheduleNotFound(string name) => $"No recurring schedule is named {Show(name)}.";

    public static string CannotRetry(long id, JobState state) =>
        string.Create(CultureInfo.InvariantCulture, $"Job {id} is {state.ToString().ToLowerInvariant()}: only a dead or cancelled job can be retried.");

    public static string CannotCancel(long id, JobState state) =>
        string.Create(CultureInfo.InvariantCulture, $"Job {id} is {state.ToString().ToLowerInvariant()}: a finished job cannot be cancelled.");

    public static string CannotDelete(long id) =>
        string.Create(CultureInfo.InvariantCulture, $"Job {id} is running: cancel it first, then delete it once it has stopped.");

    public static string Unexpected(Exception ex) => $"The dashboard could not answer: {ex.GetType().Name}: {ex.Message}";

    public static string Show(string? value) => value is null ? "nothing" : "'" + (value.Length > 100 ? value[..100] + "…" : value) + "'";
}
