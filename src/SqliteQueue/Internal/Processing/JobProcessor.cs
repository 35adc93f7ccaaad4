using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
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
    private const int MaxCompletionBatch = 256;
    private static readonly TimeSpan PrefetchWindow = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan RateSampleInterval = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan PollMargin = TimeSpan.FromMilliseconds(5);

    private readonly JobStore _store;
    private readonly Worker _worker;
    private readonly HandlerRegistry _registry;
    private readonly IServiceScopeFactory _scopes;
    private readonly QueueWorkerOptions _options;
    private readonly TimeSpan _heartbeat;
    private readonly TimeSpan _pollCheck;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<long, RunningJob> _running = new();
    private readonly TaskCompletionSource _cutShort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Not SingleReader, though the dispatcher is the only reader: only the general channel can count its items.
    private readonly Channel<RunningJob> _ready = Channel.CreateUnbounded<RunningJob>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ChangeNotifier _finished = new();
    private readonly ConcurrentQueue<RunningJob> _completions = new();
    private int _completing;
    private int _held;
    private int _reserved;
    private int _finishedSinceSample;
    private long _rateSampledAt = Stopwatch.GetTimestamp();
    private double _completionRate;

    public JobProcessor(SqliteJobQueue queue, HandlerRegistry registry, IServiceScopeFactory scopes, QueueWorkerOptions options, ILoggerFactory loggerFactory)
    {
        QueueWorkerOptionsValidator.ThrowIfInvalid(options);
        _store = queue.Store;
        _registry = registry;
        _scopes = scopes;
        _options = options;
        _heartbeat = options.HeartbeatInterval ?? options.LeaseDuration / 3;

        // The poll interval bounds how late another process's job starts, claim included: look a little sooner.
        _pollCheck = options.PollInterval - TimeSpan.FromTicks(Math.Min(options.PollInterval.Ticks / 10, PollMargin.Ticks));
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
    public int RunningCount => _options.Concurrency - _slots.CurrentCount - Volatile.Read(ref _reserved);

    /// <summary>The jobs this worker holds: claimed and not yet finished, whether running or waiting for a slot.</summary>
    public int HeldCount => Volatile.Read(ref _held);

    /// <summary>Runs until <paramref name="stoppingToken"/> fires, then shuts down gracefully.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        // The store's calls complete synchronously; yield so a host's start-up is never held by the first claim.
        await Task.Yield();
        _store.CancelRequested += OnCancelRequested;
        using var heartbeatStop = new CancellationTokenSource();
        using var dispatchStop = new CancellationTokenSource();
        var heartbeat = HeartbeatLoopAsync(heartbeatStop.Token);
        var dispatcher = DispatchLoopAsync(dispatchStop.Token);
        _logger.ProcessorStarted(WorkerId, string.Join(", ", _options.Queues), _options.Concurrency);
        try
        {
            await ClaimLoopAsync(untilEmpty: false, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            // Stop starting buffered jobs first, so shutdown sees a settled picture of what runs and what waits.
            await dispatchStop.CancelAsync().ConfigureAwait(false);
            await dispatcher.ConfigureAwait(false);
            await ShutdownAsync().ConfigureAwait(false);
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            _store.CancelRequested -= OnCancelRequested;
            _logger.ProcessorStopped(WorkerId);
        }
    }

    /// <summary>Claims and runs every job that is due now, and waits for them. For tests and hostless draining.</summary>
    /// <returns>How many jobs were claimed.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        _store.CancelRequested += OnCancelRequested;
        using var dispatchStop = new CancellationTokenSource();
        var dispatcher = DispatchLoopAsync(dispatchStop.Token);
        try
        {
            var claimed = await ClaimLoopAsync(untilEmpty: true, cancellationToken).ConfigureAwait(false);
            while (Volatile.Read(ref _held) > 0)
            {
                var finished = _finished.NextChange;
                if (Volatile.Read(ref _held) > 0)
                {
                    await finished.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return claimed;
        }
        finally
        {
            await dispatchStop.CancelAsync().ConfigureAwait(false);
            await dispatcher.ConfigureAwait(false);
            _store.CancelRequested -= OnCancelRequested;
        }
    }

    /// <summary>
    /// Keeps the worker supplied: claims when at least half of its room (concurrency plus prefetch) is free, so
    /// each claim takes many jobs in one statement, and hands the jobs to the dispatcher.
    /// </summary>
    private async Task<int> ClaimLoopAsync(bool untilEmpty, CancellationToken stoppingToken)
    {
        var claimed = 0;

        // Set by a short claim: nothing more was due, so the next step is to wait, not to pay for a claim that
        // finds nothing. The wait's due-time read still sees any job that came in since.
        var drained = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var finished = _finished.NextChange;
                var held = Volatile.Read(ref _held);
                var capacity = _options.Concurrency + EffectivePrefetch();
                var room = capacity - held;
                var threshold = held == 0 ? 1 : Math.Max(1, Math.Min(_options.BatchSize, capacity) / 2);
                if (room < threshold)
                {
                    await finished.WaitAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }

                var take = Math.Min(_options.BatchSize, room);
                int count;
                if (drained && !untilEmpty)
                {
                    if (await WaitForWorkAsync(take, stoppingToken).ConfigureAwait(false) is not { } delivered)
                    {
                        drained = false;
                        continue;
                    }

                    count = delivered;
                }
                else
                {
                    count = await ClaimAsync(take, stoppingToken).ConfigureAwait(false);
                    if (count == 0 && untilEmpty)
                    {
                        return claimed;
                    }
                }

                claimed += count;
                drained = count < take;
                if (drained && count > 0)
                {
                    // The jobs just started queued their handlers on this thread: let it run them now, and do the
                    // wait's reads on another one (a yield goes to the pool's global queue).
                    await Task.Yield();
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
                drained = false;
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

        return claimed;
    }

    /// <summary>
    /// How many jobs to hold beyond the running ones: enough to cover <see cref="PrefetchWindow"/> of work at the
    /// recent completion rate, up to <see cref="QueueWorkerOptions.Prefetch"/>. Short jobs thus get large claims
    /// (and a stocked buffer), while slow jobs are claimed about one per free slot, leaving the rest to other workers.
    /// The rate is measured in real time on purpose: it describes this machine's speed, not the job schedule.
    /// </summary>
    private int EffectivePrefetch()
    {
        var now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(_rateSampledAt, now);
        if (elapsed >= RateSampleInterval)
        {
            var rate = Interlocked.Exchange(ref _finishedSinceSample, 0) / elapsed.TotalSeconds;
            _completionRate = (0.7 * _completionRate) + (0.3 * rate);
            _rateSampledAt = now;
        }

        return (int)Math.Min(_options.Prefetch, _completionRate * PrefetchWindow.TotalSeconds);
    }

    private async Task<int> ClaimAsync(int take, CancellationToken cancellationToken)
    {
        // Reserve the room first, so the dispatcher's finishing jobs never let the count run past capacity.
        Interlocked.Add(ref _held, take);
        var reserved = ReserveSlots(take);
        List<ClaimedJob> jobs;
        try
        {
            jobs = await _worker.ClaimAsync(take, reserved, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Add(ref _held, -take);
            ReturnSlots(reserved);
            throw;
        }

        if (jobs.Count < take)
        {
            Interlocked.Add(ref _held, jobs.Count - take);
        }

        Accept(jobs, reserved, start: true);
        return jobs.Count;
    }

    /// <summary>
    /// Takes up to <paramref name="count"/> free slots for the jobs of the next claim, which then start in the claim
    /// itself; the rest of the claim is held until a slot frees. Jobs already waiting go first: with any in the buffer
    /// nothing is reserved.
    /// </summary>
    private int ReserveSlots(int count)
    {
        var reserved = 0;
        if (_ready.Reader.Count == 0)
        {
            while (reserved < count && _slots.Wait(0, CancellationToken.None))
            {
                reserved++;
            }
        }

        Interlocked.Add(ref _reserved, reserved);
        return reserved;
    }

    private void ReturnSlots(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _reserved, -count);
            _slots.Release(count);
        }
    }

    /// <summary>
    /// Takes claimed jobs on: the first <paramref name="reserved"/> were claimed to start at once and run on the slots
    /// reserved for them; the rest are held (their attempt not yet spent) and queued for the dispatcher. Without
    /// <paramref name="start"/> (the worker is stopping) none runs, and shutdown releases them all.
    /// </summary>
    private void Accept(List<ClaimedJob> jobs, int reserved, bool start)
    {
        var starting = Math.Min(reserved, jobs.Count);
        ReturnSlots(reserved - starting);
        for (var i = 0; i < jobs.Count; i++)
        {
            var run = new RunningJob(jobs[i]);
            _running[run.Job.Id] = run;
            if (i < starting)
            {
                Interlocked.Decrement(ref _reserved);
                if (start)
                {
                    // Starting here rather than through the dispatcher saves a thread wake-up on every pickup by an idle worker.
                    Start(run);
                }
                else
                {
                    _slots.Release();
                }
            }
            else if (start)
            {
                _ready.Writer.TryWrite(run);
            }
        }
    }

    /// <summary>
    /// Starts held jobs as concurrency slots free up, in the order they were claimed. A held job's attempt is counted
    /// (one write for all the jobs that start together) before its handler runs, so a job whose handler never ran is
    /// never charged for another job's crash.
    /// </summary>
    private async Task DispatchLoopAsync(CancellationToken stopToken)
    {
        var starting = new List<RunningJob>();
        try
        {
            while (await _ready.Reader.WaitToReadAsync(stopToken).ConfigureAwait(false))
            {
                while (_ready.Reader.TryPeek(out _))
                {
                    await _slots.WaitAsync(stopToken).ConfigureAwait(false);
                    if (!_ready.Reader.TryRead(out var run))
                    {
                        _slots.Release();
                        break;
                    }

                    starting.Add(run);
                    while (_ready.Reader.Count > 0 && _slots.Wait(0, CancellationToken.None))
                    {
                        if (!_ready.Reader.TryRead(out run))
                        {
                            _slots.Release();
                            break;
                        }

                        starting.Add(run);
                    }

                    await StartHeldAsync(starting).ConfigureAwait(false);
                    starting.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            // Jobs still waiting stay held; shutdown releases them.
        }
    }

    /// <summary>Counts the attempts of held jobs, each holding a slot, then starts them; the ones that may not run give their slot back.</summary>
    private async Task StartHeldAsync(List<RunningJob> runs)
    {
        // One interrupted while it waited (cancelled in this process, or its lease lost) never runs: it is given back as it was.
        var asked = new List<RunningJob>(runs.Count);
        foreach (var run in runs)
        {
            if (run.Interrupted.IsCompleted)
            {
                _slots.Release();
                _ = GiveBackHeldAsync(run, await run.Interrupted.ConfigureAwait(false) == StopReason.CancelRequested);
            }
            else
            {
                asked.Add(run);
            }
        }

        if (asked.Count == 0)
        {
            return;
        }

        HeldStart[] results;
        try
        {
            results = await _worker.StartHeldAsync(asked.Select(r => r.Job).ToList()).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Nothing was written: the jobs are still held in the store. Forgotten here, their leases run out and
            // the next claim gives them back without spending an attempt.
            _logger.StartHeldFailed(ex, WorkerId);
            foreach (var run in asked)
            {
                _slots.Release();
                Forget(run);
            }

            return;
        }

        for (var i = 0; i < asked.Count; i++)
        {
            var run = asked[i];
            switch (results[i])
            {
                case HeldStart.Started:
                    Start(run);
                    break;
                case HeldStart.CancellationRequested:
                    _slots.Release();
                    _ = GiveBackHeldAsync(run, cancelled: true);
                    break;
                default:
                    _logger.LeaseLost(WorkerId, run.Job.Id, run.Job.Type);
                    _slots.Release();
                    Forget(run);
                    break;
            }
        }
    }

    /// <summary>Gives a held job back without spending an attempt; one whose cancel was requested ends cancelled.</summary>
    private async Task GiveBackHeldAsync(RunningJob run, bool cancelled)
    {
        if (cancelled)
        {
            _logger.JobCancelRequested(run.Job.Id, run.Job.Type);
        }

        await SettleAsync(run, () => _worker.ReleaseAsync(run.Job)).ConfigureAwait(false);
        Forget(run);
    }

    /// <summary>
    /// Sleeps until there may be work: an enqueue in this process, a change by another process (seen through
    /// <c>PRAGMA data_version</c> every poll interval), or the time the next delayed job or lease comes due.
    /// Meanwhile a claim of up to <paramref name="take"/> jobs is parked in the store, so an enqueue in this process
    /// claims its job for this worker in the enqueue's own commit.
    /// </summary>
    /// <returns>How many jobs the parked claim delivered, or null when it never ran and the caller should claim.</returns>
    private async Task<int?> WaitForWorkAsync(int take, CancellationToken stoppingToken)
    {
        var reserved = ReserveSlots(take);
        var parked = _worker.ParkClaim(take, reserved);
        try
        {
            await WaitForSignalAsync(parked.Claimed, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            // Unpark first: once no commit can take the claim, it either ran (and its jobs are this worker's) or never will.
            if (_store.TryUnpark(parked))
            {
                ReturnSlots(reserved);
            }
            else
            {
                await CollectParkedAsync(parked, reserved, stoppingToken).ConfigureAwait(false);
            }
        }

        return parked.Claimed.IsCompletedSuccessfully ? parked.Claimed.Result.Count : null;
    }

    private async Task CollectParkedAsync(ParkedClaim parked, int reserved, CancellationToken stoppingToken)
    {
        List<ClaimedJob> jobs;
        try
        {
            jobs = await parked.Claimed.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The claim was undone with the commit it rode in: nothing is held.
            ReturnSlots(reserved);
            _logger.ClaimFailed(ex, WorkerId);
            return;
        }

        _worker.LogClaimed(jobs);
        Interlocked.Add(ref _held, jobs.Count);
        Accept(jobs, reserved, start: !stoppingToken.IsCancellationRequested);
    }

    private async Task WaitForSignalAsync(Task parked, CancellationToken stoppingToken)
    {
        var available = _store.Available.NextChange;

        // Read the version before the due time, so a commit between the two is either in the due time or changes the version.
        var version = _store.ReadDataVersion();
        var due = await _store.NextDueAsync(_options.Queues, stoppingToken).ConfigureAwait(false);
        while (!parked.IsCompleted)
        {
            var now = _store.NowMs;
            if (due is { } d && d <= now)
            {
                return;
            }

            var wait = _pollCheck;
            if (due is { } next && next - now < wait.TotalMilliseconds)
            {
                wait = TimeSpan.FromMilliseconds(next - now);
            }

            Task first;
            using (var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var delay = Task.Delay(wait, _store.Time, poll.Token);
                first = await Task.WhenAny(parked, available, delay).ConfigureAwait(false);

                // Synchronously: the only callback is the delay's own, and CancelAsync would cost a thread hop on the pickup path.
                poll.Cancel();
                stoppingToken.ThrowIfCancellationRequested();
            }

            if (first == available)
            {
                // Something in this process may have made work due that did not take the parked claim (a delayed
                // job, a retry, another queue's job): one read of the due time tells, where a claim would write.
                available = _store.Available.NextChange;
                due = await _store.NextDueAsync(_options.Queues, stoppingToken).ConfigureAwait(false);
            }
            else if (first == parked || _store.ReadDataVersion() != version)
            {
                return;
            }
        }
    }

    private void Start(RunningJob run)
    {
        run.MarkStarted();
        if (run.Job.Timeout is { } timeout)
        {
            run.TimeoutTimer = _store.Time.CreateTimer(static state => ((RunningJob)state!).Interrupt(StopReason.Timeout), run, timeout, Timeout.InfiniteTimeSpan);
        }

        _ = RunJobAsync(run);
    }

    private async Task RunJobAsync(RunningJob run)
    {
        var job = run.Job;
        var slotHeld = true;
        try
        {
            if (run.Interrupted.IsCompleted)
            {
                // Cancelled, or its lease lost, while it waited for a slot: the handler never runs.
                await SettleInterruptedAsync(run, await run.Interrupted.ConfigureAwait(false)).ConfigureAwait(false);
                return;
            }

            if (!_registry.TryGet(job.Type, out var registration))
            {
                await SettleAsync(run, () => _worker.FailAsync(job, Errors.UnknownJobType(job.Type, _registry.JobTypes), permanent: true)).ConfigureAwait(false);
                return;
            }

            Task handler;
            var scope = _scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                using var logScope = _logger.BeginScope(new JobLogScope(job));

                // On a pool thread: a handler that blocks before its first await must hold neither the dispatcher
                // nor its own timeout, which is watched below.
                var services = scope.ServiceProvider;
                handler = Task.Run(() => registration.Invoke(services, job, WorkerId, _store.Options.JsonSerializerOptions, run.Token), CancellationToken.None);

                var first = await Task.WhenAny(handler, run.Interrupted).ConfigureAwait(false);
                if (first != handler)
                {
                    await SettleInterruptedAsync(run, await run.Interrupted.ConfigureAwait(false)).ConfigureAwait(false);

                    // The job has moved on, but the handler still holds its slot (and its scope) until it returns.
                    try
                    {
                        await handler.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
                    {
                        // The handler passed its token on, as it should: nothing went wrong.
                        _logger.HandlerStopped(job.Id, job.Type);
                    }
                    catch (Exception ex)
                    {
                        _logger.AbandonedHandlerFailed(ex, job.Id, job.Type);
                    }

                    return;
                }

                // The outcome is decided now: the heartbeat leaves the job alone while its settle is written.
                run.MarkDecided();
            }

            // The handler is done and its scope disposed: free its slot before the outcome is written, so the next
            // job starts while this one's completion waits to be committed with others.
            run.TimeoutTimer?.Dispose();
            _slots.Release();
            slotHeld = false;
            if (handler.IsCompletedSuccessfully && !run.Interrupted.IsCompleted)
            {
                await CompleteBatchedAsync(run).ConfigureAwait(false);
            }
            else
            {
                await SettleFromHandlerAsync(run, handler).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _logger.JobRunFailed(ex, job.Id, job.Type);
        }
        finally
        {
            if (slotHeld)
            {
                run.TimeoutTimer?.Dispose();
                _slots.Release();
            }

            Forget(run);
        }
    }

    /// <summary>
    /// Queues a completion; one writer at a time takes every completion queued so far and commits them in one
    /// transaction, so under load many jobs share one commit. The caller returns once its own is committed.
    /// </summary>
    private Task CompleteBatchedAsync(RunningJob run)
    {
        _completions.Enqueue(run);
        if (Interlocked.CompareExchange(ref _completing, 1, 0) == 0)
        {
            _ = CompleteLoopAsync();
        }

        return run.Settled;
    }

    private async Task CompleteLoopAsync()
    {
        var batch = new List<RunningJob>();
        while (true)
        {
            while (batch.Count < MaxCompletionBatch && _completions.TryDequeue(out var run))
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
                var applied = await _worker.CompleteManyAsync(batch.Select(r => r.Job).ToList()).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (!applied[i])
                    {
                        _logger.LeaseLost(WorkerId, batch[i].Job.Id, batch[i].Job.Type);
                    }
                }
            }
            catch (Exception ex)
            {
                // The leases will expire and the jobs will be retaken: a failed write never loses a job.
                foreach (var run in batch)
                {
                    _logger.SettleFailed(ex, run.Job.Id, run.Job.Type);
                }
            }

            foreach (var run in batch)
            {
                run.MarkSettled();
            }

            batch.Clear();
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
            return SettleAsync(run, () => _worker.FailAsync(job, Errors.Describe(ex), permanent: true));
        }

        _logger.HandlerFailed(ex, job.Id, job.Type, job.Attempt);
        return SettleAsync(run, () => _worker.FailAsync(job, Errors.Describe(ex)));
    }

    private Task SettleInterruptedAsync(RunningJob run, StopReason reason)
    {
        var job = run.Job;
        run.MarkDecided();
        switch (reason)
        {
            case StopReason.Timeout:
                _logger.JobTimedOut(job.Id, job.Type, job.Timeout ?? TimeSpan.Zero, job.Attempt);
                return SettleAsync(run, () => _worker.FailAsync(job, Errors.JobTimedOut(job.Timeout ?? TimeSpan.Zero)));
            case StopReason.CancelRequested:
                _logger.JobCancelRequested(job.Id, job.Type);
                return SettleAsync(run, () => _worker.FailAsync(job, Errors.JobCancelledWhileRunning));
            case StopReason.Shutdown:
                _logger.JobStoppedForShutdown(job.Id, job.Type);
                return SettleAsync(run, () => _worker.ReleaseAsync(job));
            default:
                // The job belongs to someone else now; nothing may be written.
                _logger.LeaseLostWhileRunning(WorkerId, job.Id, job.Type);
                run.MarkSettled();
                return Task.CompletedTask;
        }
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

                // A job whose outcome is decided is being settled: renewing it could only race its own settle.
                var runs = _running.Values.Where(r => !r.IsDecided && !r.Interrupted.IsCompleted).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var results = await _worker.RenewManyAsync(runs.Select(r => r.Job).ToList(), token).ConfigureAwait(false);
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
                _logger.HeartbeatFailed(ex, WorkerId);
            }
        }
    }

    /// <summary>
    /// Stop claiming and dispatching (done by the caller), release the jobs that never started at once, wait for
    /// running ones up to the shutdown timeout, then cancel and release the rest.
    /// </summary>
    private async Task ShutdownAsync()
    {
        var waiting = _running.Values.Where(r => !r.IsStarted).ToList();
        foreach (var run in waiting)
        {
            await SettleAsync(run, () => _worker.ReleaseAsync(run.Job)).ConfigureAwait(false);
            Forget(run);
        }

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
        if (left.Count + waiting.Count > 0)
        {
            _logger.JobsReleasedAtShutdown(WorkerId, left.Count + waiting.Count);
        }
    }

    /// <summary>The job is no longer held: its room is free for the next claim.</summary>
    private void Forget(RunningJob run)
    {
        if (_running.TryRemove(new KeyValuePair<long, RunningJob>(run.Job.Id, run)))
        {
            Interlocked.Decrement(ref _held);
            Interlocked.Increment(ref _finishedSinceSample);
        }

        run.Finish();
        _finished.Notify();
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
        private volatile bool _decided;

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

        public bool IsStarted { get; private set; }

        /// <summary>The handler has returned or been interrupted: what is written for the job is settled by that.</summary>
        public bool IsDecided => _decided;

        public void MarkStarted() => IsStarted = true;

        public void MarkDecided() => _decided = true;

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
