using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Internal.Processing;

/// <summary>
/// A worker's concurrency slots and the buffer of claimed jobs waiting for one. A claim reserves the free slots first,
/// and the jobs claimed for them start in the claim itself; the rest are held in the buffer, their attempts not yet
/// counted, and start in claim order as slots free up, after one write counts the attempts of those starting together.
/// Completions are committed here too, in batches: the slot of a completed job passes straight to the next held job,
/// whose attempt is counted in the completion's own transaction, so a busy worker pays no extra commit for it.
/// </summary>
#pragma warning disable CA1001 // The semaphore's wait handle is never created, and handlers still running after a stop release into it.
internal sealed class SlotDispatcher
#pragma warning restore CA1001
{
    private const int MaxCompletionBatch = 256;

    private readonly SemaphoreSlim _slots; // a running handler holds one until it returns

    // Not SingleReader, though the dispatch loop is the only reader: only the general channel can count its items.
    private readonly Channel<RunningJob> _ready = Channel.CreateUnbounded<RunningJob>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly int _concurrency;
    private readonly Worker _worker;
    private readonly ConcurrentDictionary<long, RunningJob> _held;
    private readonly Action<RunningJob> _forget;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<RunningJob> _completions = new();
    private readonly ConcurrentQueue<RunningJob> _kept = new(); // accepted while stopping: never started, given back at shutdown
    private JobRunner _runner = null!;
    private int _reserved;
    private int _completing;
    private volatile bool _stopped = true;

    public SlotDispatcher(int concurrency, Worker worker, ConcurrentDictionary<long, RunningJob> held, Action<RunningJob> forget, ILogger logger)
    {
        _slots = new SemaphoreSlim(concurrency, concurrency);
        _concurrency = concurrency;
        _worker = worker;
        _held = held;
        _forget = forget;
        _logger = logger;
    }

    /// <summary>Gives the dispatcher the runner it starts jobs with; called once, before any job is accepted.</summary>
    public void Attach(JobRunner runner) => _runner = runner;

    /// <summary>Frees a slot whose handler has returned.</summary>
    public void Release() => _slots.Release();

    /// <summary>The handlers running now (including ones whose job has already moved on).</summary>
    public int RunningCount => _concurrency - _slots.CurrentCount - Volatile.Read(ref _reserved);

    /// <summary>
    /// Takes up to <paramref name="count"/> free slots for the jobs of the next claim, which then start in the claim
    /// itself; the rest of the claim is held until a slot frees. Jobs already waiting go first: with any in the buffer
    /// nothing is reserved.
    /// </summary>
    public int Reserve(int count)
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

    public void Return(int count)
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
    /// <paramref name="start"/> (the worker is stopping) none runs: all wait for shutdown to give them back.
    /// </summary>
    public void Accept(List<ClaimedJob> jobs, int reserved, bool start)
    {
        var starting = Math.Min(reserved, jobs.Count);
        Return(reserved - starting);
        for (var i = 0; i < jobs.Count; i++)
        {
            var run = new RunningJob(jobs[i]);
            _held[run.Job.Id] = run;
            if (i < starting)
            {
                Interlocked.Decrement(ref _reserved);
                if (start)
                {
                    // Starting here rather than through the dispatcher saves a thread wake-up on every pickup by an idle worker.
                    _runner.Start(run);
                }
                else
                {
                    _slots.Release();
                    _kept.Enqueue(run);
                }
            }
            else if (start)
            {
                _ready.Writer.TryWrite(run);
            }
            else
            {
                _kept.Enqueue(run);
            }
        }
    }

    /// <summary>
    /// Starts held jobs as concurrency slots free up, in the order they were claimed. A held job's attempt is counted
    /// (one write for all the jobs that start together) before its handler runs, so a job whose handler never ran is
    /// never charged for another job's crash.
    /// </summary>
    public async Task RunAsync(CancellationToken stopToken)
    {
        var starting = new List<RunningJob>();
        _stopped = false;
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
        finally
        {
            // Completions still pass no slot on: what waits now is given back by shutdown (see TakeWaiting).
            _stopped = true;
        }
    }

    /// <summary>
    /// Takes every job still waiting for a slot, once the dispatcher has stopped, for shutdown to give back. A job some
    /// commit has already taken to start is not among them: it starts (and runs out the grace time) or is given back there.
    /// </summary>
    public List<RunningJob> TakeWaiting()
    {
        var waiting = new List<RunningJob>();
        while (_ready.Reader.TryRead(out var run) || _kept.TryDequeue(out run))
        {
            waiting.Add(run);
        }

        return waiting;
    }

    /// <summary>Counts the attempts of held jobs, each holding a slot, then starts them; the ones that may not run give their slot back.</summary>
    private async Task StartHeldAsync(List<RunningJob> runs)
    {
        var asked = WithoutInterrupted(runs);
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
            NotStarted(asked, ex);
            return;
        }

        Started(asked, results);
    }

    /// <summary>
    /// Queues the completion of a job whose handler returned and which still holds its slot. One writer at a time takes
    /// every completion queued so far and commits them in one transaction, with the starts of the held jobs their
    /// slots pass to. With no job waiting the slot is freed at once, so the next claim need not wait for the commit.
    /// The caller returns once its own completion is committed (or given up: the lease then runs out and the job is
    /// retaken, never lost).
    /// </summary>
    public Task CompleteAsync(RunningJob run)
    {
        if (_stopped || _ready.Reader.Count == 0)
        {
            _slots.Release();
        }
        else
        {
            run.PassesSlot = true;
        }

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
        var starting = new List<RunningJob>();
        while (true)
        {
            if (_concurrency > 1)
            {
                // Let handlers that are finishing on other threads queue their completions first: each commit passes
                // the slots of all it completes, so the more it takes, the fewer commits the starts cost.
                await Task.Yield();
            }

            while (batch.Count < MaxCompletionBatch && _completions.TryDequeue(out var done))
            {
                batch.Add(done);
                if (done.PassesSlot)
                {
                    // The buffer may have emptied since (the dispatch loop), or the worker be stopping: then the slot is simply freed.
                    if (!_stopped && _ready.Reader.TryRead(out var next))
                    {
                        starting.Add(next);
                    }
                    else
                    {
                        _slots.Release();
                    }
                }
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

            var asked = WithoutInterrupted(starting);
            try
            {
                var (applied, results) = await _worker.CompleteAndStartAsync(batch.Select(r => r.Job).ToList(), asked.Select(r => r.Job).ToList()).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (applied[i])
                    {
                        batch[i].Outcome = ProcessOutcomes.Completed;
                    }
                    else
                    {
                        _logger.LeaseLost(_worker.WorkerId, batch[i].Job.Id, batch[i].Job.Type);
                        batch[i].Outcome = ProcessOutcomes.LeaseLost;
                        batch[i].ErrorType = ProcessOutcomes.LeaseLostErrorType;
                    }
                }

                Started(asked, results);
            }
            catch (Exception ex)
            {
                // The leases will expire and the jobs will be retaken: a failed write never loses a job.
                var errorType = QueueActivities.ErrorTypeOf(ex);
                foreach (var run in batch)
                {
                    _logger.SettleFailed(ex, run.Job.Id, run.Job.Type);
                    run.Outcome = ProcessOutcomes.Error;
                    run.ErrorType = errorType;
                    run.Error = ex;
                }

                NotStarted(asked, ex);
            }

            foreach (var run in batch)
            {
                run.MarkSettled();
            }

            batch.Clear();
            starting.Clear();
        }
    }

    /// <summary>
    /// The held jobs that may still start. One interrupted while it waited (cancelled in this process, or its lease
    /// lost) never runs: it gives its slot back and is given back as it was.
    /// </summary>
    private List<RunningJob> WithoutInterrupted(List<RunningJob> runs)
    {
        var asked = new List<RunningJob>(runs.Count);
        foreach (var run in runs)
        {
            if (run.Interrupted.IsCompleted)
            {
                _slots.Release();
                _ = _runner.GiveBackAsync(run, run.Interrupted.Result == StopReason.CancelRequested);
            }
            else
            {
                asked.Add(run);
            }
        }

        return asked;
    }

    private void Started(List<RunningJob> asked, HeldStart[] results)
    {
        for (var i = 0; i < asked.Count; i++)
        {
            var run = asked[i];
            switch (results[i])
            {
                case HeldStart.Started:
                    _runner.Start(run);
                    break;
                case HeldStart.CancellationRequested:
                    _slots.Release();
                    _ = _runner.GiveBackAsync(run, cancelled: true);
                    break;
                default:
                    _logger.LeaseLost(_worker.WorkerId, run.Job.Id, run.Job.Type);
                    _slots.Release();
                    _forget(run);
                    break;
            }
        }
    }

    /// <summary>
    /// The write that would have started them failed: nothing was written, and the jobs are still held in the store.
    /// Forgotten here, their leases run out and the next claim gives them back without spending an attempt.
    /// </summary>
    private void NotStarted(List<RunningJob> asked, Exception ex)
    {
        if (asked.Count == 0)
        {
            return;
        }

        _logger.StartHeldFailed(ex, _worker.WorkerId);
        foreach (var run in asked)
        {
            _slots.Release();
            _forget(run);
        }
    }
}
