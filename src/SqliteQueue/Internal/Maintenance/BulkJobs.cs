using SqliteQueue.Internal.Stores;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>Retries and deletes of many jobs: the store changes them in bounded writes, and this side tells the process's waiters.</summary>
internal static class BulkJobs
{
    private const int IdsPerChunk = 500;
    public const int MaxIds = 1_000_000;

    public static async Task<long> RetryAsync(IMaintenanceStore store, JobFilter filter, CancellationToken cancellationToken)
    {
        var changed = await store.RetryJobsAsync(filter, cancellationToken).ConfigureAwait(false);
        if (changed > 0)
        {
            store.Changes.Notify();
            store.Available.Notify();
        }

        return changed;
    }

    /// <summary>How many jobs <see cref="RetryAsync"/> or <see cref="DeleteAsync(IMaintenanceStore, JobFilter, CancellationToken)"/> would change now.</summary>
    public static Task<long> CountAsync(IMaintenanceStore store, JobFilter filter, CancellationToken cancellationToken) =>
        store.CountJobsAsync(filter, cancellationToken);

    public static async Task<long> DeleteAsync(IMaintenanceStore store, JobFilter filter, CancellationToken cancellationToken)
    {
        var changed = await store.DeleteJobsAsync(filter, cancellationToken).ConfigureAwait(false);
        if (changed > 0)
        {
            store.Changes.Notify();
        }

        return changed;
    }

    public static async Task<long> DeleteAsync(IMaintenanceStore store, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        var deleted = 0L;
        for (var start = 0; start < ids.Count; start += IdsPerChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = new long[Math.Min(IdsPerChunk, ids.Count - start)];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = ids[start + i];
            }

            deleted += await store.DeleteJobsAsync(chunk, cancellationToken).ConfigureAwait(false);
        }

        if (deleted > 0)
        {
            store.Changes.Notify();
        }

        return deleted;
    }

    public static async Task<PurgeResult> PurgeAsync(IMaintenanceStore store, string queue, CancellationToken cancellationToken)
    {
        // Pending jobs go first, so a job claimed while they are deleted is running by the time its cancellation is
        // requested; the finished ones last, with any job that finished meanwhile.
        var deleted = await DeleteAsync(store, new JobFilter(JobState.Pending) { Queue = queue }, cancellationToken).ConfigureAwait(false);
        var cancelled = await store.CancelRunningAsync(queue, cancellationToken).ConfigureAwait(false);
        foreach (var id in cancelled)
        {
            store.RaiseCancelRequested(id);
        }

        foreach (var state in new[] { JobState.Completed, JobState.Dead, JobState.Cancelled })
        {
            deleted += await DeleteAsync(store, new JobFilter(state) { Queue = queue }, cancellationToken).ConfigureAwait(false);
        }

        return new PurgeResult(deleted, cancelled.Count);
    }
}
