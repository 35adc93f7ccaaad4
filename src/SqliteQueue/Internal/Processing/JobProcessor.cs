using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteQueue.DependencyInjection;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Internal.Processing;

/// <summary>Why a running job's token fired.</summary>
internal enum StopReason
{
    Timeout,
    CancelRequested,
    LeaseLost,
    Shutdown,
}

/// <summary>
/// The claim → run → settle loop of one worker group. Claims are sized to the free concurrency; each job runs
/// in its own DI scope with a token that fires on timeout, cancellation, lease loss or forced shutdown; a
/// heartbeat renews all running leases together (the store group-commits them, as it does completions).
/// </summary>
#pragma warning disable CA1001 // The semaphore's wait handle is never created, and handlers still running after a stop release into it.
internal sealed class JobProcessor
#pragma warning restore CA1001
{
    private readonly JobStore _store;
    private readonly Worker _worker;
    private readonly HandlerRegistry _registry;
    private readonly IServiceScopeFactory _scopes;
    private readonly QueueWorkerOptions _options;
    private readonly TimeSpan _heartbeat;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<long, RunningJob> _running = new();
    private readonly TaskCompletionSource _cutShort = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobProcessor(SqliteJobQueue queue, HandlerRegistry registry, IServiceScopeFactory scopes, QueueWorkerOptions options, ILoggerFactory loggerFactory)
    {
        QueueWorkerOptionsValidator.ThrowIfInvalid(options);
        _store = queue.Store;
        _registry = registry;
        _scopes = scopes;
        _options = options;
        _heartbeat = options.HeartbeatInterval ?? options.LeaseDuration / 3;
        _logger = loggerFactory.CreateLogger("SqliteQueue.Processor");
        _slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        _worker = (Worker)queue.Create(new WorkerOptions
        {
            WorkerId = options.WorkerId,
            Queues = options.Queues,
            Strategy = options.Strategy,
            LeaseDuration = options.LeaseDuration,
            BackoffPolicy = options.BackoffPolicy,
        });
    }

    public string WorkerId => _worker.WorkerId;

    /// <summary>The jobs whose handlers are running now (including ones whose job has already moved on).</summary>
    public int RunningCount => _options.Concurrency - _slots.CurrentCount;

    /// <summary>Runs until <paramref name="stoppingToken"/> fires, then shuts down gracefully.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        // The store's calls complete synchronously; yield so a host's start-up is never held by the first claim.
        await Task.Yield();
        _store.CancelRequested += OnCancelRequested;
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeat = HeartbeatLoopAsync(heartbeatStop.Token);
        _logger.ProcessorStarted(WorkerId, string.Join(", ", _options.Queues), _options.Concurrency);
        try
        {
            await ClaimLoopAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await ShutdownAsync().ConfigureAwait(false);
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            _store.CancelRequested -= OnCancelRequested;
            _logger.ProcessorStopped(WorkerId);
        }
    }

    /// <summary>Claims and runs every job that is due now, up to the concurrency at a time, and waits for them. For tests and hostless draining.</summary>
    /// <returns>How many jobs were claimed.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        _store.CancelRequested += OnCancelRequested;
        try
        {
            var claimed = 0;
            while (true)
            {
                var jobs = await ClaimAsync(cancellationToken).ConfigureAwait(false);
                if (jobs == 0)
                {
                    break;
                }

                claimed += jobs;
            }

            await Task.WhenAll(_running.Values.Select(r => r.Done)).ConfigureAwait(false);
            return claimed;
        }
        finally
        {
            _store.CancelRequested -= OnCancelRequested;
        }
    }

    private async Task ClaimLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await ClaimAsync(stoppingToken).ConfigureAwait(false) == 0)
                {
                    await WaitForWorkAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The loop never dies: a failed claim is logged and tried again after a pause.
                _logger.ClaimFailed(ex, WorkerId);
                try
                {
                    await Task.Delay(_options.PollInterval, _store.Time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Waits for a free slot, claims up to the free concurrency, and starts the jobs.</summary>
    private async Task<int> ClaimAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = 1;
        while (taken < _options.BatchSize && _slots.Wait(0, CancellationToken.None))
        {
            taken++;
        }

        IReadOnlyList<ClaimedJob> jobs;
        try
        {
            jobs = await _worker.ClaimAsync(taken, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _slots.Release(taken);
            throw;
        }

        if (jobs.Count < taken)
        {
            _slots.Release(taken - jobs.Count);
        }

        foreach (var job in jobs)
        {
            Start(job);
        }

        return jobs.Count;
    }

    /// <summary>
    /// Sleeps until there may be work: an enqueue in this process, a change by another process (seen through
    /// <c>PRAGMA data_version</c> every poll interval), or the time the next delayed job or lease comes due.
    /// </summary>
    private async Task WaitForWorkAsync(CancellationToken stoppingToken)
    {
        var available = _store.Available.NextChange;

        // Read the version before the due time, so a commit between the two is either in the due time or changes the version.
        var version = _store.ReadDataVersion();
        var due = await _store.NextDueAsync(_options.Queues, stoppingToken).ConfigureAwait(false);
        while (true)
        {
            var now = _store.NowMs;
            if (due is { } d && d <= now)
            {
                return;
            }

            var wait = _options.PollInterval;
            if (due is { } next && next - now < wait.TotalMilliseconds)
            {
                wait = TimeSpan.FromMilliseconds(next - now);
            }

            using (var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var delay = Task.Delay(wait, _store.Time, poll.Token);
                var first = await Task.WhenAny(available, delay).ConfigureAwait(false);
                await poll.CancelAsync().ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
                if (first == available)
                {
                    return;
                }
            }

            if (_store.ReadDataVersion() != version)
            {
                return;
            }
        }
    }

    private void Start(ClaimedJob job)
    {
        var run = new RunningJob(job);
        _running[job.Id] = run;
        if (job.Timeout is { } timeout)
        {
            run.TimeoutTimer = _store.Time.CreateTimer(static state => ((RunningJob)state!).Interrupt(StopReason.Timeout), run, timeout, Timeout.InfiniteTimeSpan);
        }

        _ = RunJobAsync(run);
    }

    private async Task RunJobAsync(RunningJob run)
    {
        var job = run.Job;
        try
        {
            // Leave the claim loop at once; the rest of this job runs on its own.
            await Task.Yield();
            if (!_registry.TryGet(job.Type, out var registration))
            {
                await SettleAsync(run, () => _worker.FailAsync(job, Errors.UnknownJobType(job.Type, _registry.JobTypes), permanent: true)).ConfigureAwait(false);
                return;
            }

            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                using var logScope = _logger.BeginScope(new JobLogScope(job));
                // On a pool thread: a handler that blocks before its first await must hold neither the claim
                // loop nor its own timeout, which is watched below.
                var services = scope.ServiceProvider;
                var handler = Task.Run(() => registration.Invoke(services, job, WorkerId, _store.Options.JsonSerializerOptions, run.Token), CancellationToken.None);

                var first = await Task.WhenAny(handler, run.Interrupted).ConfigureAwait(false);
                if (first == handler)
                {
                    await SettleFromHandlerAsync(run, handler).ConfigureAwait(false);
                    return;
                }

                await SettleInterruptedAsync(run, await run.Interrupted.ConfigureAwait(false)).ConfigureAwait(false);

                // The job has moved on, but the handler still holds its slot (and its scope) until it returns.
                try
                {
                    await handler.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    _logger.AbandonedHandlerFailed(ex, job.Id, job.Type);
                }
            }
        }
        catch (Exception ex)
        {
            _logger.JobRunFailed(ex, job.Id, job.Type);
        }
        finally
        {
            run.TimeoutTimer?.Dispose();
            _running.TryRemove(new KeyValuePair<long, RunningJob>(job.Id, run));
            run.Finish();
            _slots.Release();
        }
    }

    private Task SettleFromHandlerAsync(RunningJob run, Task handler)
    {
        var job = run.Job;
        if (handler.IsCompletedSuccessfully)
        {
            return SettleAsync(run, () => _worker.CompleteAsync(job));
        }

        var ex = handler.Exception?.InnerException ?? handler.Exception ?? (Exception)new OperationCanceledException();
        if (ex is OperationCanceledException && run.Interrupted.IsCompleted)
        {
            return SettleInterruptedAsync(run, run.Interrupted.Result);
        }

        if (ex is PermanentJobFailureException)
        {
            return SettleAsync(run, () => _worker.FailAsync(job, ex.ToString(), permanent: true));
        }

        _logger.HandlerFailed(ex, job.Id, job.Type, job.Attempt);
        return SettleAsync(run, () => _worker.FailAsync(job, ex.ToString()));
    }

    private Task SettleInterruptedAsync(RunningJob run, StopReason reason)
    {
        var job = run.Job;
        _logger.JobInterrupted(job.Id, job.Type, reason);
        return reason switch
        {
            StopReason.Timeout => SettleAsync(run, () => _worker.FailAsync(job, Errors.JobTimedOut(job.Timeout ?? TimeSpan.Zero))),
            StopReason.CancelRequested => SettleAsync(run, () => _worker.FailAsync(job, Errors.JobCancelledWhileRunning)),
            StopReason.Shutdown => SettleAsync(run, () => _worker.ReleaseAsync(job)),
            _ => Task.CompletedTask, // Lease lost: the job belongs to someone else now; nothing may be written.
        };
    }

    private async Task SettleAsync<T>(RunningJob run, Func<Task<T>> settle)
    {
        try
        {
            await settle().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The lease will expire and the job will be retaken: a failed settle never loses the job.
            _logger.SettleFailed(ex, run.Job.Id, run.Job.Type);
        }
        finally
        {
            run.MarkSettled();
        }
    }

    private async Task HeartbeatLoopAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_heartbeat, _store.Time, token).ConfigureAwait(false);
                var runs = _running.Values.Where(r => !r.Interrupted.IsCompleted && !r.IsSettled).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                // Issued together, the renewals are committed in one transaction by the store.
                var results = await Task.WhenAll(runs.Select(r => _worker.RenewLeaseAsync(r.Job, token))).ConfigureAwait(false);
                for (var i = 0; i < runs.Count; i++)
                {
                    if (results[i] == RenewResult.LeaseLost && !runs[i].IsSettled)
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
                _logger.HeartbeatFailed(ex, WorkerId);
            }
        }
    }

    /// <summary>Stop claiming (done by the caller), wait for running jobs up to the shutdown timeout, then release the rest.</summary>
    private async Task ShutdownAsync()
    {
        var running = _running.Values.ToList();
        if (running.Count == 0)
        {
            return;
        }

        var allDone = Task.WhenAll(running.Select(r => r.Settled));
        if (_options.ShutdownTimeout > TimeSpan.Zero)
        {
            using var wait = new CancellationTokenSource();
            var timeout = Task.Delay(_options.ShutdownTimeout, _store.Time, wait.Token);
            await Task.WhenAny(allDone, timeout, _cutShort.Task).ConfigureAwait(false);
            await wait.CancelAsync().ConfigureAwait(false);
        }

        var left = running.Where(r => !r.IsSettled).ToList();
        foreach (var run in left)
        {
            run.Interrupt(StopReason.Shutdown);
        }

        await Task.WhenAll(left.Select(r => r.Settled)).ConfigureAwait(false);
        if (left.Count > 0)
        {
            _logger.JobsReleasedAtShutdown(WorkerId, left.Count);
        }
    }

    /// <summary>Ends the shutdown grace time now: running jobs are released at once (the host is about to stop waiting).</summary>
    public void CutShutdownShort() => _cutShort.TrySetResult();

    private void OnCancelRequested(long jobId)
    {
        if (_running.TryGetValue(jobId, out var run))
        {
            run.Interrupt(StopReason.CancelRequested);
        }
    }

    private sealed class RunningJob(ClaimedJob job) : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly TaskCompletionSource<StopReason> _interrupted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ClaimedJob Job => job;

        public CancellationToken Token => _cts.Token;

        public Task<StopReason> Interrupted => _interrupted.Task;

        /// <summary>Completes when the job's outcome is written (or the write was given up).</summary>
        public Task Settled => _settled.Task;

        public bool IsSettled => _settled.Task.IsCompleted;

        /// <summary>Completes when the handler has returned and its slot is free.</summary>
        public Task Done => _done.Task;

        public ITimer? TimeoutTimer { get; set; }

        public void Interrupt(StopReason reason)
        {
            if (_interrupted.TrySetResult(reason))
            {
                try
                {
                    _cts.Cancel();
                }
                catch (AggregateException)
                {
                    // A handler's own cancellation callback threw; the handler sees the exception itself.
                }
                catch (ObjectDisposedException)
                {
                    // The handler has already returned; there is nothing left to stop.
                }
            }
        }

        public void MarkSettled() => _settled.TrySetResult();

        public void Finish()
        {
            _settled.TrySetResult();
            _done.TrySetResult();
            Dispose();
        }

        public void Dispose() => _cts.Dispose();
    }

    /// <summary>The fields every log line written while a handler runs carries.</summary>
    private sealed class JobLogScope(ClaimedJob job) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 4;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("JobId", job.Id),
            1 => new("Queue", job.Queue),
            2 => new("JobType", job.Type),
            3 => new("Attempt", job.Attempt),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"Job {job.Id} ({job.Type}) on {job.Queue}, attempt {job.Attempt}";
    }
}
