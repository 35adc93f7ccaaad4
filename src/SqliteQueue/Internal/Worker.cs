using Microsoft.Extensions.Logging;
using SqliteQueue.Events;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Retry;
using SqliteQueue.Scheduling;

namespace SqliteQueue.Internal;

/// <summary>The consumer side, over one store.</summary>
internal sealed class Worker : IWorker
{
    private const int MaxErrorLength = 100_000;

    private readonly IJobStore _store;
    private readonly ILogger _logger;
    private readonly ClaimArgs _claim;
    private readonly IBackoffPolicy _backoff;

    public Worker(IJobStore store, WorkerOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _logger = logger;
        WorkerId = options.WorkerId is null
            ? $"{Environment.MachineName}:{Environment.ProcessId}:{Random.Shared.Next():x8}"
            : Guard.Name(options.WorkerId, "worker id", "options.WorkerId");

        ArgumentNullException.ThrowIfNull(options.Queues, "options.Queues");
        if (options.Queues.Count is 0 or > 100)
        {
            throw new ArgumentException($"options.Queues must name 1 to 100 queues; got {options.Queues.Count}.", "options.Queues");
        }

        var queues = new List<string>(options.Queues.Count);
        foreach (var queue in options.Queues)
        {
            Guard.Name(queue, "queue name", "options.Queues");
            if (queues.Contains(queue, StringComparer.Ordinal))
            {
                throw new ArgumentException($"options.Queues names '{queue}' twice.", "options.Queues");
            }

            queues.Add(queue);
        }

        var lease = options.LeaseDuration ?? store.Options.DefaultLeaseDuration;
        Guard.InRange(lease, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), "options.LeaseDuration");
        LeaseDuration = lease;
        _backoff = options.BackoffPolicy ?? store.Options.BackoffPolicy;
        Strategy = options.Strategy ?? store.Options.DefaultStrategy;
        _claim = new ClaimArgs(WorkerId, queues, Strategy, (long)lease.TotalMilliseconds, 1);
    }

    public string WorkerId { get; }

    public TimeSpan LeaseDuration { get; }

    public ISchedulingStrategy Strategy { get; }

    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int maxJobs = 1, CancellationToken cancellationToken = default)
    {
        Guard.InRange(maxJobs, 1, 1000, nameof(maxJobs));
        return await ClaimAsync(maxJobs, startCount: maxJobs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims up to <paramref name="maxJobs"/> jobs, of which the first <paramref name="startCount"/> start now and the
    /// rest are held for <see cref="StartHeldAsync"/>: a held job spends no attempt until its handler is about to run.
    /// </summary>
    public async Task<List<ClaimedJob>> ClaimAsync(int maxJobs, int startCount, CancellationToken cancellationToken)
    {
        var args = maxJobs == 1 && startCount >= 1 ? _claim : _claim with { MaxJobs = maxJobs, StartCount = startCount };
        var jobs = await _store.ClaimAsync(args, cancellationToken).ConfigureAwait(false);
        LogClaimed(jobs, startCount);
        return jobs;
    }

    /// <summary>
    /// Logs a claim once it has committed, and reports the starts of its first <paramref name="startCount"/> jobs
    /// (the ones whose attempt it counted; see <see cref="ClaimArgs"/>).
    /// </summary>
    public void LogClaimed(List<ClaimedJob> jobs, int startCount)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        _logger.JobsClaimed(WorkerId, jobs.Count);
        var started = Math.Min(startCount, jobs.Count);
        for (var i = 0; i < started; i++)
        {
            Started(jobs[i], jobs[i].ClaimedAtMs);
        }
    }

    /// <summary>An attempt was counted at <paramref name="nowMs"/>: its wait is measured and its start observed.</summary>
    private void Started(ClaimedJob job, long nowMs)
    {
        _store.Metrics.Waited(job, nowMs);
        if (_store.Events.HasObservers)
        {
            _store.Events.Raise(new JobEvent(JobEventKind.Started, job.Id, job.Queue, job.Type, job.Attempt, Times.FromMs(nowMs)) { WorkerId = WorkerId });
        }
    }

    private void Completed(ClaimedJob job, long nowMs)
    {
        _logger.JobCompleted(job.Id, job.Type, job.Attempt);
        if (_store.Events.HasObservers)
        {
            _store.Events.Raise(new JobEvent(JobEventKind.Completed, job.Id, job.Queue, job.Type, job.Attempt, Times.FromMs(nowMs)) { WorkerId = WorkerId });
        }
    }

    /// <summary>Parks a claim of up to <paramref name="maxJobs"/> in the store, as <see cref="ClaimAsync(int, int, CancellationToken)"/>; see <see cref="IJobStore.ParkClaim"/>.</summary>
    public ParkedClaim ParkClaim(int maxJobs, int startCount) => _store.ParkClaim(_claim with { MaxJobs = maxJobs, StartCount = startCount });

    /// <summary>
    /// Completes <paramref name="completed"/> and counts the attempts of the held jobs <paramref name="starting"/> whose
    /// handlers are about to run, in one write: a worker's completions and the starts of the jobs taking their slots
    /// share one commit.
    /// </summary>
    public async Task<(bool[] Applied, HeldStart[] Started)> CompleteAndStartAsync(IReadOnlyList<ClaimedJob> completed, IReadOnlyList<ClaimedJob> starting)
    {
        var result = await _store.CompleteAsync(completed, starting, CancellationToken.None).ConfigureAwait(false);
        if (completed.Count > 0)
        {
            LogCompleted(completed, result.Applied, result.NowMs);
            _store.Changes.Notify();
        }

        for (var i = 0; i < starting.Count; i++)
        {
            if (result.Started[i] == HeldStart.Started)
            {
                Started(starting[i], result.NowMs);
            }
        }

        return (result.Applied, result.Started);
    }

    /// <summary>Counts the attempts of held jobs whose handlers are about to run, in one write.</summary>
    public async Task<HeldStart[]> StartHeldAsync(IReadOnlyList<ClaimedJob> jobs) =>
        (await CompleteAndStartAsync([], jobs).ConfigureAwait(false)).Started;

    private void LogCompleted(IReadOnlyList<ClaimedJob> jobs, bool[] applied, long nowMs)
    {
        for (var i = 0; i < jobs.Count; i++)
        {
            if (applied[i])
            {
                Completed(jobs[i], nowMs);
            }
        }
    }

    /// <summary>Renews the leases of several jobs in one write; the caller decides what a lost lease means.</summary>
    public async Task<RenewResult[]> RenewManyAsync(IReadOnlyList<ClaimedJob> jobs, CancellationToken cancellationToken)
    {
        var leaseMs = _claim.LeaseMs;
        var (results, until) = await _store.RenewAsync(jobs, leaseMs, cancellationToken).ConfigureAwait(false);

        for (var i = 0; i < jobs.Count; i++)
        {
            if (results[i] != RenewResult.LeaseLost)
            {
                jobs[i].LeaseExpiresAt = Times.FromMs(until);
            }
        }

        return results;
    }

    public async Task<bool> CompleteAsync(ClaimedJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var result = await _store.CompleteAsync([job], [], cancellationToken).ConfigureAwait(false);
        var done = result.Applied[0];
        if (done)
        {
            Completed(job, result.NowMs);
            _store.Changes.Notify();
        }
        else
        {
            _logger.LeaseLost(WorkerId, job.Id, job.Type);
        }

        return done;
    }

    public async Task<IReadOnlyList<bool>> CompleteManyAsync(IReadOnlyList<ClaimedJob> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i] is null)
            {
                throw new ArgumentException($"{nameof(jobs)}[{i}] is null.", nameof(jobs));
            }
        }

        if (jobs.Count == 0)
        {
            return [];
        }

        var result = await _store.CompleteAsync(jobs, [], cancellationToken).ConfigureAwait(false);
        LogCompleted(jobs, result.Applied, result.NowMs);
        _store.Changes.Notify();
        return result.Applied;
    }

    public async Task<FailResult> FailAsync(ClaimedJob job, string errorMessage, bool permanent = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentException.ThrowIfNullOrEmpty(errorMessage);
        var error = errorMessage;
        if (error.Length > MaxErrorLength)
        {
            error = error[..MaxErrorLength];
        }

        var delay = _backoff.NextDelay(job.Attempt);
        if (delay < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"The backoff policy {_backoff.GetType().Name} returned a negative delay ({delay}) for attempt {job.Attempt}.");
        }

        var delayMs = (long)Math.Min(delay.TotalMilliseconds, Guard.MaxDelay.TotalMilliseconds);
        var (result, _) = await _store.FailAsync(
            job, error, permanent, delayMs, _store.Events.HasObservers ? r => RaiseFailed(job, error, r.Result, r.Now) : null, cancellationToken).ConfigureAwait(false);

        if (!result.Applied)
        {
            _logger.LeaseLost(WorkerId, job.Id, job.Type);
            return result;
        }

        if (result.State == JobState.Pending)
        {
            _logger.JobFailedWillRetry(job.Id, job.Type, job.Attempt, result.NextRunAt!.Value);
            _store.Metrics.Retried(job.Queue, job.Type);

            // Idle workers recompute when to look again.
            _store.Available.Notify();
        }
        else if (result.State == JobState.Cancelled)
        {
            _logger.JobCancelledWhileRunning(job.Id, job.Type, job.Attempt);
            _store.Changes.Notify();
        }
        else
        {
            _logger.JobDead(job.Id, job.Type, job.Attempt, FirstLine(error));
            _store.Metrics.Dead(job.Queue, job.Type);
            _store.Changes.Notify();
        }

        return result;
    }

    // Raised as the failure commits, so a retry claimed in the same commit cannot be observed starting before it.
    private void RaiseFailed(ClaimedJob job, string error, FailResult result, long now)
    {
        if (!result.Applied)
        {
            return;
        }

        var kind = result.State switch
        {
            JobState.Pending => JobEventKind.Failed,
            JobState.Cancelled => JobEventKind.Cancelled,
            _ => JobEventKind.Dead,
        };
        _store.Events.Raise(new JobEvent(kind, job.Id, job.Queue, job.Type, job.Attempt, Times.FromMs(now))
        {
            WorkerId = WorkerId,
            Error = error,
            NextRunAt = kind == JobEventKind.Failed ? result.NextRunAt : null,
        });
    }

    public async Task<RenewResult> RenewLeaseAsync(ClaimedJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var result = (await RenewManyAsync([job], cancellationToken).ConfigureAwait(false))[0];
        if (result == RenewResult.LeaseLost)
        {
            _logger.LeaseLost(WorkerId, job.Id, job.Type);
        }

        return result;
    }

    private static string FirstLine(string error)
    {
        var end = error.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? error : error[..end];
    }

    public async Task<bool> ReleaseAsync(ClaimedJob job, TimeSpan delay = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        Guard.InRange(delay, TimeSpan.Zero, Guard.MaxDelay, nameof(delay));
        var delayMs = (long)Math.Ceiling(delay.TotalMilliseconds);
        var released = await _store.ReleaseAsync(job, delayMs, cancellationToken).ConfigureAwait(false);

        if (released)
        {
            _logger.JobReleased(job.Id, job.Type, job.Attempt);
            _store.Changes.Notify();
            _store.Available.Notify();
        }
        else
        {
            _logger.LeaseLost(WorkerId, job.Id, job.Type);
        }

        return released;
    }
}
