using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Internal.Processing;

/// <summary>
/// Renews the leases of every job a worker holds, running or waiting for a slot, on a fixed beat and in one write, and
/// stops a handler whose lease was lost or whose cancel was requested by another process. A job whose outcome is
/// decided is being settled and is left alone: renewing it could only race its own settle.
/// </summary>
internal sealed class LeaseHeartbeat(Worker worker, TimeProvider time, TimeSpan interval, ConcurrentDictionary<long, RunningJob> held, ILogger logger)
{
    public async Task RunAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, token).ConfigureAwait(false);
                var runs = held.Values.Where(r => !r.IsDecided && !r.Interrupted.IsCompleted).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var results = await worker.RenewManyAsync(runs.Select(r => r.Job).ToList(), token).ConfigureAwait(false);
                for (var i = 0; i < runs.Count; i++)
                {
                    // Decided meanwhile: the renewal met the settle's commit, not a lost lease.
                    if (runs[i].IsDecided)
                    {
                        continue;
                    }

                    if (results[i] == RenewResult.LeaseLost)
                    {
                        runs[i].Interrupt(StopReason.LeaseLost);
                    }
                    else if (results[i] == RenewResult.CancellationRequested)
                    {
                        runs[i].Interrupt(StopReason.CancelRequested);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.HeartbeatFailed(ex, worker.WorkerId);
            }
        }
    }
}
