using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Internal.Processing;

/// <summary>
/// Commits the completions of a worker's jobs in batches: one writer at a time takes every completion queued so far
/// and commits them in one transaction, so under load many jobs share one commit. Each caller returns once its own
/// completion is committed (or given up: its lease then runs out and the job is retaken, never lost).
/// </summary>
internal sealed class CompletionBatcher(Worker worker, ILogger logger)
{
    private const int MaxBatch = 256;

    private readonly ConcurrentQueue<RunningJob> _completions = new();
    private int _completing;

    public Task CompleteAsync(RunningJob run)
    {
        _completions.Enqueue(run);
        if (Interlocked.CompareExchange(ref _completing, 1, 0) == 0)
        {
            _ = CommitLoopAsync();
        }

        return run.Settled;
    }

    private async Task CommitLoopAsync()
    {
        var batch = new List<RunningJob>();
        while (true)
        {
            while (batch.Count < MaxBatch && _completions.TryDequeue(out var run))
            {
                batch.Add(run);
            }

            if (batch.Count == 0)
            {
                Volatile.Write(ref _completing, 0);

                // A completion queued between the last dequeue and the reset must not be stranded.
                if (_completions.IsEmpty || Interlocked.CompareExchange(ref _completing, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            try
            {
                var applied = await worker.CompleteManyAsync(batch.Select(r => r.Job).ToList()).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (!applied[i])
                    {
                        logger.LeaseLost(worker.WorkerId, batch[i].Job.Id, batch[i].Job.Type);
                    }
                }
            }
            catch (Exception ex)
            {
                // The leases will expire and the jobs will be retaken: a failed write never loses a job.
                foreach (var run in batch)
                {
                    logger.SettleFailed(ex, run.Job.Id, run.Job.Type);
                }
            }

            foreach (var run in batch)
            {
                run.MarkSettled();
            }

            batch.Clear();
        }
    }
}
