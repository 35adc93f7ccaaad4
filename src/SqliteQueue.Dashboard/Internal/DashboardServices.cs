using Microsoft.Extensions.Options;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>What a dashboard endpoint needs, resolved once when the dashboard is mapped.</summary>
internal sealed class DashboardServices(SqliteJobQueue queue, IOptions<DashboardOptions> options, TimeProvider time, string pattern)
{
    public SqliteJobQueue Queue { get; } = queue;

    public DashboardOptions Options => options.Value;

    public TimeProvider Time { get; } = time;

    /// <summary>The mount path as mapped, without a trailing slash: <c>/jobs</c>.</summary>
    public string Pattern { get; } = pattern;
}
