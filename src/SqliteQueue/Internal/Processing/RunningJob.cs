using System.Diagnostics;

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
/// One job a worker holds, from its claim until it is forgotten: the token its handler gets, why that token fired,
/// whether its outcome is decided, and when that outcome was written.
/// </summary>
internal sealed class RunningJob(ClaimedJob job) : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource<StopReason> _interrupted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _decided;

    public ClaimedJob Job => job;

    public CancellationToken Token => _cts.Token;

    public Task<StopReason> Interrupted => _interrupted.Task;

    /// <summary>Completes when the job's outcome is written (or the write was given up).</summary>
    public Task Settled => _settled.Task;

    public bool IsSettled => _settled.Task.IsCompleted;

    public ITimer? TimeoutTimer { get; set; }

    /// <summary>The attempt's <c>process</c> span, while it is open; null when nothing listens.</summary>
    public Activity? Span { get; set; }

    /// <summary>When the handler started (<see cref="TimeProvider.GetTimestamp"/>), for the duration metric; 0 when nothing listens.</summary>
    public long ProcessStarted { get; set; }

    /// <summary>What became of the attempt (see <c>Outcomes</c>), set by whoever writes it; null until then.</summary>
    public string? Outcome { get; set; }

    /// <summary>The attempt's <c>error.type</c> when it failed; null when it did not.</summary>
    public string? ErrorType { get; set; }

    /// <summary>The exception the attempt failed with, if any, for a span that may record its message.</summary>
    public Exception? Error { get; set; }

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

    /// <summary>The handler has returned or been interrupted: what is written for the job is settled by that.</summary>
    public bool IsDecided => _decided;

    /// <summary>Its handler completed while jobs waited: its slot passes to the next held job in the completion's commit.</summary>
    public bool PassesSlot { get; set; }

    public void MarkDecided() => _decided = true;

    public void MarkSettled() => _settled.TrySetResult();

    public void Finish()
    {
        _settled.TrySetResult();
        Dispose();
    }

    public void Dispose() => _cts.Dispose();
}
