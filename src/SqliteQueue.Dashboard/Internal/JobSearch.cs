namespace SqliteQueue.Dashboard.Internal;

/// <summary>Lists jobs for <c>GET api/jobs</c>, with the payload search.</summary>
internal static class JobSearch
{
    /// <summary>
    /// How many ids one search request reads at most. A text in no payload would otherwise read every job after the
    /// page's first id (a fifth of a second at a million jobs); a window keeps each request to a few milliseconds, and
    /// the next page goes on from where it stopped.
    /// </summary>
    public const long SearchWindow = 100_000;

    /// <summary>
    /// One page of jobs. A search (<see cref="JobQuery.PayloadContains"/>) reads at most <see cref="SearchWindow"/> ids:
    /// when the window runs out before the page is full and later jobs exist, the page ends there, its next page starts
    /// after the window, and <see cref="SearchPage.SearchedThroughId"/> says how far it read.
    /// </summary>
    public static async Task<SearchPage> ListAsync(IQueueClient client, JobQuery query, string? search, CancellationToken cancellationToken, long window = SearchWindow)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(query);
        if (search is null)
        {
            return new SearchPage(await client.ListJobsAsync(query, cancellationToken).ConfigureAwait(false), null);
        }

        var windowEnd = query.AfterId > long.MaxValue - 1 - window ? long.MaxValue - 1 : query.AfterId + window;
        var page = await client.ListJobsAsync(new JobQuery
        {
            Queue = query.Queue,
            State = query.State,
            Type = query.Type,
            CreatedAfter = query.CreatedAfter,
            CreatedBefore = query.CreatedBefore,
            AfterId = query.AfterId,
            BeforeId = windowEnd + 1,
            Limit = query.Limit,
            PayloadContains = search,
        }, cancellationToken).ConfigureAwait(false);
        if (page.NextAfterId is not null)
        {
            return new SearchPage(page, null);
        }

        // The window ran out: one seek on the id tells whether any job lies beyond it to search next.
        var beyond = await client.ListJobsAsync(new JobQuery { AfterId = windowEnd, Limit = 1 }, cancellationToken).ConfigureAwait(false);
        return beyond.Jobs.Count == 0
            ? new SearchPage(page, null)
            : new SearchPage(page with { NextAfterId = windowEnd }, windowEnd);
    }
}

/// <summary>A page of jobs, and for a search that stopped at the end of its window, the last id it read.</summary>
internal sealed record SearchPage(JobPage Page, long? SearchedThroughId);
