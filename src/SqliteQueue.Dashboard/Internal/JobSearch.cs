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
    /// when the window runs out before the page is full and further jobs exist, the page ends there, its next page starts
    /// past the window, and <see cref="SearchPage.SearchedThroughId"/> says how far it read. Oldest first the window is
    /// the ids after <see cref="JobQuery.AfterId"/>; newest first (<see cref="JobQuery.NewestFirst"/>) it is the ids below
    /// <see cref="JobQuery.BeforeId"/> (or the newest job), and the search goes on down from the window's start.
    /// </summary>
    public static async Task<SearchPage> ListAsync(IQueueClient client, JobQuery query, string? search, CancellationToken cancellationToken, long window = SearchWindow)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(query);
        if (search is null)
        {
            return new SearchPage(await client.ListJobsAsync(query, cancellationToken).ConfigureAwait(false), null);
        }

        if (query.NewestFirst)
        {
            return await ListNewestAsync(client, query, search, window, cancellationToken).ConfigureAwait(false);
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

    // Newest first: the window is the `window` ids just below the upper bound, [top - window, top), read downwards.
    private static async Task<SearchPage> ListNewestAsync(IQueueClient client, JobQuery query, string search, long window, CancellationToken cancellationToken)
    {
        long top;
        if (query.BeforeId is { } before)
        {
            top = before;
        }
        else
        {
            // No cursor yet: the window starts at the newest job (one seek on the end of the id).
            var newest = await client.ListJobsAsync(new JobQuery { NewestFirst = true, AfterId = query.AfterId, Limit = 1 }, cancellationToken).ConfigureAwait(false);
            if (newest.Jobs.Count == 0)
            {
                return new SearchPage(newest, null);
            }

            top = newest.Jobs[0].Id + 1;
        }

        // The window holds the ids above windowAfter: at most `window` of them, and none at or below the caller's AfterId.
        var windowAfter = Math.Max(query.AfterId, top - 1 - window);
        var page = await client.ListJobsAsync(new JobQuery
        {
            Queue = query.Queue,
            State = query.State,
            Type = query.Type,
            CreatedAfter = query.CreatedAfter,
            CreatedBefore = query.CreatedBefore,
            NewestFirst = true,
            AfterId = windowAfter,
            BeforeId = top,
            Limit = query.Limit,
            PayloadContains = search,
        }, cancellationToken).ConfigureAwait(false);
        if (page.NextBeforeId is not null || windowAfter == query.AfterId)
        {
            return new SearchPage(page, null);
        }

        // The window ran out: one seek on the id tells whether any job lies below it to search next.
        var windowStart = windowAfter + 1;
        var beyond = await client.ListJobsAsync(new JobQuery { NewestFirst = true, AfterId = query.AfterId, BeforeId = windowStart, Limit = 1 }, cancellationToken)
            .ConfigureAwait(false);
        return beyond.Jobs.Count == 0
            ? new SearchPage(page, null)
            : new SearchPage(page with { NextBeforeId = windowStart }, windowStart);
    }
}

/// <summary>A page of jobs, and for a search that stopped at the end of its window, the last id it read (the lowest, newest first).</summary>
internal sealed record SearchPage(JobPage Page, long? SearchedThroughId);
