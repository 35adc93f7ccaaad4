namespace SqliteQueue.Dashboard.Internal;

/// <summary>Lists jobs for <c>GET api/jobs</c>, with the payload search.</summary>
internal static class JobSearch
{
    // Wired to GetThroughputAsync when lib-throughput lands (JobQuery.PayloadContains comes with it).
    // Until then the search filters each page in memory: a page may hold fewer jobs than asked for, even none, while
    // NextAfterId still walks the whole table by id, so paging reaches every match.
    public static async Task<JobPage> ListAsync(IQueueClient client, JobQuery query, string? search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var page = await client.ListJobsAsync(query, cancellationToken).ConfigureAwait(false);
        if (search is null)
        {
            return page;
        }

        var matches = page.Jobs.Where(j => j.PayloadJson.Contains(search, StringComparison.Ordinal)).ToList();
        return page with { Jobs = matches };
    }
}
