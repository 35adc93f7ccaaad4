namespace SqliteQueue.Benchmarks;

/// <summary>
/// The parts of a claim-and-complete suite that measure one job at a time on a prepared file: the reset that turns the
/// jobs an iteration claimed back into pending ones, the warm-up, and the claim-complete itself.
/// </summary>
internal static class OneJobCycle
{
    /// <summary>
    /// Turns every job up to <paramref name="highestClaimed"/> back into a pending one. Raw SQL through the store is not
    /// counted by it, so the reset takes the completed jobs off the counts itself first.
    /// </summary>
    public static void Reset(SqliteJobQueue queue, string path, long highestClaimed)
    {
        if (highestClaimed == 0)
        {
            return;
        }

        var p = BenchmarkData.Prefix;
        BenchmarkData.ExecuteThroughStore(queue, path, $"""
            UPDATE {p}counts
            SET n = n - (SELECT COUNT(*) FROM {p}jobs j
                         WHERE j.id <= {highestClaimed} AND j.queue = {p}counts.queue AND j.state = {p}counts.state)
            WHERE state = 'completed';
            DELETE FROM {p}executions WHERE job_id <= {highestClaimed};
            UPDATE {p}jobs
            SET state = 'pending', attempt = 0, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
                started_at = NULL, finished_at = NULL
            WHERE id <= {highestClaimed} AND state IN ('running', 'completed');
            """);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> in iterations like the measured ones, twice with a pause, so that tiered JIT
    /// compilation has finished before BenchmarkDotNet's warm-up (an iteration is a few milliseconds, shorter than the
    /// runtime's tier-up delay).
    /// </summary>
    public static void WarmUp(Action operation, Action reset, int operationsPerIteration)
    {
        for (var pass = 0; pass < 2; pass++)
        {
            for (var round = 0; round < 20; round++)
            {
                reset();
                for (var i = 0; i < operationsPerIteration; i++)
                {
                    operation();
                }
            }

            Thread.Sleep(300);
        }

        reset();
    }

    /// <summary>Claims one job and completes it, each awaited; returns the job's id.</summary>
    public static async Task<long> ClaimCompleteAsync(IWorker worker)
    {
        var jobs = await worker.ClaimAsync(1);
        if (jobs.Count != 1)
        {
            throw new InvalidOperationException("Claimed no job: the queue ran dry.");
        }

        return await worker.CompleteAsync(jobs[0]) ? jobs[0].Id : throw new InvalidOperationException("A completion was not applied.");
    }
}
