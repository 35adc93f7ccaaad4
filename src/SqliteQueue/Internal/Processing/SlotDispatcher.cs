using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Internal.Processing;

/// <summary>
/// A worker's concurrency slots and the buffer of claimed jobs waiting for one. A claim reserves the free slots first,
/// and the jobs claimed for them start in the claim itself; the rest are held in the buffer, their attempts not yet
/// counted, and start in claim order as slots free up, after one write counts the attempts of those starting together.
/// </summary>
#pragma warning disable CA1001 // The semaphore's wait handle is never created, and handlers still running after a stop release into it.
internal sealed class SlotDispatcher
#pragma warning restore CA1001
{
    private readonly SemaphoreSlim _slots; // a running handler holds one until it returns; all free at construction

    // Not SingleReader, though the dispatch loop is the only reader: only the general channel can count its items.
    private readonly Channel<RunningJob> _ready = Channel.CreateUnbounded<RunningJob>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly int _concurrency;
    private readonly JobRunner _runner;
    private readonly Worker _worker;
    private readonly ConcurrentDictionary<long, RunningJob> _held;
    private readonly Action<RunningJob> _forget;
    private readonly ILogger _logger;
    private int _reserved;

    public SlotDispatcher(SemaphoreSlim slots, JobRunner runner, Worker worker, ConcurrentDictionary<long, RunningJob> held, Action<RunningJob> forget, ILogger logger)
    {
        _slots = slots;
        _concurrency = slots.CurrentCount;
        _runner = runner;
        _worker = worker;
        _held = held;
        _forget = forget;
        _logger = logger;
    }

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
    /// <paramref name="start"/> (the worker is stopping) none runs, and shutdown releases them all.
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
    public async Task RunAsync(CancellationToken stopToken)
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
                _ = _runner.GiveBackAsync(run, await run.Interrupted.ConfigureAwait(false) == StopReason.CancelRequested);
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
            _logger.StartHeldFailed(ex, _worker.WorkerId);
            foreach (var run in asked)
            {
                _slots.Release();
                _forget(run);
            }

            return;
        }

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
}
