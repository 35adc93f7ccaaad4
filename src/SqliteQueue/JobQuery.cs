namespace SqliteQueue;

/// <summary>
/// A filter and page for <see cref="IQueueClient.ListJobsAsync"/>. Pages run in ascending id order, or descending with
/// <see cref="NewestFirst"/>.
/// </summary>
public sealed class JobQuery
{
    /// <summary>Only jobs on this queue.</summary>
    /// <value>The default is any queue.</value>
    public string? Queue { get; init; }

    /// <summary>Only jobs in this state.</summary>
    /// <value>The default is any state.</value>
    public JobState? State { get; init; }

    /// <summary>Only jobs of this type.</summary>
    /// <value>The default is any type.</value>
    public string? Type { get; init; }

    /// <summary>Only jobs created at or after this time.</summary>
    /// <value>The default is any time. Must be earlier than <see cref="CreatedBefore"/> when both are set.</value>
    public DateTimeOffset? CreatedAfter { get; init; }

    /// <summary>Only jobs created before this time.</summary>
    /// <value>The default is any time.</value>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>
    /// Only jobs whose JSON payload contains this text, compared as written (case-sensitive); the search walks the jobs
    /// in id order, so it costs a scan of the filtered range when matches are rare.
    /// </summary>
    /// <value>The default is any payload. 1 to 200 characters, with no NUL.</value>
    public string? PayloadContains { get; init; }

    /// <summary>Only jobs with an id greater than this: pass <see cref="JobPage.NextAfterId"/> to read the next page.</summary>
    /// <value>The default is 0 (from the start).</value>
    public long AfterId { get; init; }

    /// <summary>
    /// Only jobs with an id less than this. With <see cref="AfterId"/> it makes a window of ids, so a filter that
    /// matches few jobs (<see cref="PayloadContains"/>) reads a bounded range of the table, not the rest of it.
    /// </summary>
    /// <value>The default is no upper bound. Greater than <see cref="AfterId"/> + 1.</value>
    public long? BeforeId { get; init; }

    /// <summary>
    /// Pages in descending id order, newest first: the first page holds the newest jobs, and
    /// <see cref="JobPage.NextBeforeId"/> reads the next (older) page through <see cref="BeforeId"/>.
    /// </summary>
    /// <value>The default is false: ascending id order, paged through <see cref="AfterId"/>.</value>
    public bool NewestFirst { get; init; }

    /// <summary>The most jobs to return.</summary>
    /// <value>The default is 100. 1 to 1000.</value>
    public int Limit { get; init; } = 100;
}

/// <summary>One page of jobs.</summary>
/// <param name="Jobs">The jobs, in ascending id order, or descending with <see cref="JobQuery.NewestFirst"/>.</param>
/// <param name="NextAfterId">
/// The value for <see cref="JobQuery.AfterId"/> that reads the next page, or null when this was the last; always null
/// with <see cref="JobQuery.NewestFirst"/>, which pages through <see cref="NextBeforeId"/>.
/// </param>
public sealed record JobPage(IReadOnlyList<JobInfo> Jobs, long? NextAfterId)
{
    /// <summary>
    /// With <see cref="JobQuery.NewestFirst"/>, the value for <see cref="JobQuery.BeforeId"/> that reads the next (older)
    /// page: the smallest id of this page. Null when this was the last page, and always null in ascending order.
    /// </summary>
    public long? NextBeforeId { get; init; }

    /// <summary>The page a store read for <paramref name="query"/>: full pages say where the next one starts.</summary>
    internal static JobPage Of(List<JobInfo> jobs, JobQuery query)
    {
        var full = jobs.Count == query.Limit;
        return query.NewestFirst
            // A page that ended at the window's lowest possible id is the last: no id below it is left to read.
            ? new JobPage(jobs, null) { NextBeforeId = full && jobs[^1].Id > query.AfterId + 1 ? jobs[^1].Id : null }
            : new JobPage(jobs, full ? jobs[^1].Id : null);
    }
}
