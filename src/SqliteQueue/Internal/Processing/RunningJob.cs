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
