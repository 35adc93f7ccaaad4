namespace SqliteQueue.Dashboard.Internal;

/// <summary>Lists jobs for <c>GET api/jobs</c>, with the payload search.</summary>
internal static class JobSearch
{
    /// <summary>The search is <see cref="JobQuery.PayloadContains"/>: done by the store, so pages stay full and keyset by id.</summary>
    public static Task<JobPage> ListAsync(IQueueClient client, JobQuery query, string? search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(query);
        var searched = search is null ? query : new JobQuery
        {
            Queue = query.Queue,
            State = query.State,
            Type = query.Type,
            CreatedAfter = query.CreatedAfter,
            CreatedBefore = query.CreatedBefore,
            AfterId = query.AfterId,
            Limit = query.Limit,
            PayloadContains = search,
        };
        return client.ListJobsAsync(searched, cancellationToken);
    }
}
