using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteQueue.DependencyInjection;
using SqliteQueue.Internal.Monitoring;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal.Processing;

/// <summary>
/// The claim → run → settle loop of one worker group. Claims are sized to the free concurrency; each job runs
/// in its own DI scope with a token that fires on timeout, cancellation, lease loss or forced shutdown; a
/// heartbeat renews all running leases together (the store group-commits them, as it does completions).
/// </summary>
internal sealed class JobProcessor
{
    private static readonly TimeSpan PollMargin = TimeSpan.FromMilliseconds(5);
    private static readonly Task Never = new TaskCompletionSource().Task;

    private readonly IJobStore _store;
    private readonly Worker _worker;
    private readonly QueueWorkerOptions _options;
    private readonly JobRunner _runner;
    private readonly LeaseHeartbeat _heartbeat;
    private readonly WorkerRegistration? _registration;
    private readonly PrefetchGauge _prefetch;
    private readonly TimeSpan _pollCheck;
    private readonly ILogger _logger;
    private readonly SlotDispatcher _dispatcher;
    private readonly ConcurrentDictionary<long, RunningJob> _running = new();
    private readonly TaskCompletionSource _cutShort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ChangeNotifier _finished = new();
    private int _held;

    public JobProcessor(
        SqliteJobQueue queue, HandlerRegistry registry, IServiceScopeFactory scopes, QueueWorkerOptions options, ILoggerFactory loggerFactory,
        HandlerPipeline? pipeline = null)
    {
        QueueWorkerOptionsValidator.ThrowIfInvalid(options);
        _store = queue.Store;
        _options = options;

        // The poll interval bounds how late another process's job starts, claim included: look a little sooner.
        _pollCheck = options.PollInterval - TimeSpan.FromTicks(Math.Min(options.PollInterval.Ticks / 10, PollMargin.Ticks));
        _logger = loggerFactory.CreateLogger("SqliteQueue.Processor");
        _worker = (Worker)queue.Create(new WorkerOptions
        {
            WorkerId = options.WorkerId,
            Queues = options.Queues,
            Strategy = options.Strategy,
            LeaseDuration = options.LeaseDuration,
            BackoffPolicy = options.BackoffPolicy,
        });
        _prefetch = new PrefetchGauge(options.Prefetch);
        _registration = _store is IMonitorStore monitor ? new WorkerRegistration(monitor, _worker.WorkerId, options.Queues, options.Concurrency, _logger) : null;
        _heartbeat = new LeaseHeartbeat(_worker, _store.Time, options.HeartbeatInterval ?? options.LeaseDuration / 3, _running, _logger);
        _dispatcher = new SlotDispatcher(options.Concurrency, _worker, _running, Forget, _logger);
        _runner = new JobRunner(_store, _worker, registry, pipeline ?? HandlerPipeline.Empty, scopes, _dispatcher, Forget, _logger);
        _dispatcher.Attach(_runner);
    }

    public string WorkerId => _worker.WorkerId;

    /// <summary>The jobs whose handlers are running now (including ones whose job has already moved on).</summary>
    public int RunningCount => _dispatcher.RunningCount;

    /// <summary>The jobs this worker holds: claimed and not yet finished, whether running or waiting for a slot.</summary>
    public int HeldCount => Volatile.Read(ref _held);

    /// <summary>Runs until <paramref name="stoppingToken"/> fires, then shuts down gracefully.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        // The store's calls complete synchronously; yield so a host's start-up is never held by the first claim.
        await Task.Yield();
        _store.CancelRequested += OnCancelRequested;

        // Registered before the first claim, so a worker that runs jobs is listed; a failure is logged and the next
        // beat writes the row instead.
        if (_registration is not null)
        {
            await _registration.RegisterAsync(stoppingToken).ConfigureAwait(false);
        }

        using var registrationStop = new CancellationTokenSource();
        var beats = _registration?.BeatAsync(registrationStop.Token) ?? Task.CompletedTask;
        using var heartbeatStop = new CancellationTokenSource();
        using var dispatchStop = new CancellationTokenSource();
        var heartbeat = _heartbeat.RunAsync(heartbeatStop.Token);
        var dispatcher = _dispatcher.RunAsync(dispatchStop.Token);
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

            // Listed until its jobs were settled or released; then gone at once, not at its expiry.
            await registrationStop.CancelAsync().ConfigureAwait(false);
            await beats.ConfigureAwait(false);
            if (_registration is not null)
            {
                await _registration.UnregisterAsync().ConfigureAwait(false);
            }

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
        var dispatcher = _dispatcher.RunAsync(dispatchStop.Token);
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
                var capacity = _options.Concurrency + _prefetch.Current();
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

    private async Task<int> ClaimAsync(int take, CancellationToken cancellationToken)
    {
        // Reserve the room first, so the dispatcher's finishing jobs never let the count run past capacity.
        Interlocked.Add(ref _held, take);
        var reserved = _dispatcher.Reserve(take);
        List<ClaimedJob> jobs;
        try
        {
            jobs = await _worker.ClaimAsync(take, reserved, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Add(ref _held, -take);
            _dispatcher.Return(reserved);
            throw;
        }

        if (jobs.Count < take)
        {
            Interlocked.Add(ref _held, jobs.Count - take);
        }

        _dispatcher.Accept(jobs, reserved, start: true);
        return jobs.Count;
    }

    /// <summary>
    /// Sleeps until there may be work: an enqueue in this process, a change by another process (signalled through the
    /// store's wake-up file, and seen through <c>PRAGMA data_version</c> every poll interval in any case), or the time
    /// the next delayed job or lease comes due.
    /// Meanwhile a claim of up to <paramref name="take"/> jobs is parked in the store, so an enqueue in this process
    /// claims its job for this worker in the enqueue's own commit.
    /// </summary>
    /// <returns>How many jobs the parked claim delivered, or null when it never ran and the caller should claim.</returns>
    private async Task<int?> WaitForWorkAsync(int take, CancellationToken stoppingToken)
    {
        var reserved = _dispatcher.Reserve(take);
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
                _dispatcher.Return(reserved);
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
            _dispatcher.Return(reserved);
            _logger.ClaimFailed(ex, WorkerId);
            return;
        }

        _worker.LogClaimed(jobs, reserved);
        Interlocked.Add(ref _held, jobs.Count);
        _dispatcher.Accept(jobs, reserved, start: !stoppingToken.IsCancellationRequested);
    }

    private async Task WaitForSignalAsync(Task parked, CancellationToken stoppingToken)
    {
        var available = _store.Available.NextChange;
        var woken = _store.NextWakeSignal() ?? Never;

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
                first = await Task.WhenAny(parked, available, woken, delay).ConfigureAwait(false);

                // Synchronously: the only callback is the delay's own, and CancelAsync would cost a thread hop on the pickup path.
                poll.Cancel();
                stoppingToken.ThrowIfCancellationRequested();
            }

            if (first == available || first == woken)
            {
                // Work may be due that did not take the parked claim (a delayed job, a retry, another queue's job, another
                // process's enqueue), or nothing may be (this process's own signal, a job another worker took first): one
                // read of the due time tells, where a claim would write. The version is read again with it, so the poll
                // claims only for a change that came after.
                available = _store.Available.NextChange;
                woken = _store.NextWakeSignal() ?? Never;
                version = _store.ReadDataVersion();
                due = await _store.NextDueAsync(_options.Queues, stoppingToken).ConfigureAwait(false);
            }
            else if (first == parked || _store.ReadDataVersion() != version)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Stop claiming and dispatching (done by the caller), release the jobs that never started at once, wait for
    /// running ones up to the shutdown timeout, then cancel and release the rest.
    /// </summary>
    private async Task ShutdownAsync()
    {
        var waiting = _dispatcher.TakeWaiting();
        foreach (var run in waiting)
        {
            await _runner.GiveBackAsync(run, cancelled: false).ConfigureAwait(false);
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
            _prefetch.NoteFinished();
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
}
