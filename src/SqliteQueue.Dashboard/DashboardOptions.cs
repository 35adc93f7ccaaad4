namespace SqliteQueue.Dashboard;

/// <summary>How the dashboard looks and what it allows.</summary>
public sealed class DashboardOptions
{
    /// <summary>The title in the page's header and the browser tab.</summary>
    /// <value>The default is <c>SqliteQueue</c>. 1 to 100 characters.</value>
    public string Title { get; set; } = "SqliteQueue";

    /// <summary>Whether the dashboard only shows: every action (retry, cancel, delete, pause, trigger, checkpoint) is refused with 403.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool ReadOnly { get; set; }

    /// <summary>How often an open page reads its figures again.</summary>
    /// <value>The default is 2 seconds. 500 milliseconds to 5 minutes.</value>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);
}
