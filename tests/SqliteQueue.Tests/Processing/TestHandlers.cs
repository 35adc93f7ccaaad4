using System.Collections.Concurrent;

namespace SqliteQueue.Tests.Processing;

public sealed record Work(int N);

/// <summary>What the test handler does, set by each test; shared as a singleton.</summary>
public sealed class Behavior
{
    private int _running;
    private int _maxRunning;

    public Func<JobContext<Work>, CancellationToken, Task> Run { get; set; } = (_, _) => Task.CompletedTask;

    public ConcurrentQueue<JobContext<Work>> Seen { get; } = new();

    public ConcurrentQueue<long> Cancelled { get; } = new();

    public int Running => Volatile.Read(ref _running);

    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public async Task InvokeAsync(JobContext<Work> job, CancellationToken cancellationToken)
    {
        Seen.Enqueue(job);
        var now = Interlocked.Increment(ref _running);
        int max;
        while (now > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, now, max) != max)
        {
        }

        try
        {
            await Run(job, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Cancelled.Enqueue(job.JobId);
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}

public sealed class WorkHandler(Behavior behavior, ScopedProbe probe) : IJobHandler<Work>
{
    public Task HandleAsync(JobContext<Work> job, CancellationToken cancellationToken)
    {
        probe.Use(job.JobId);
        return behavior.InvokeAsync(job, cancellationToken);
    }
}

/// <summary>A scoped service that records which job used it and whether it was disposed.</summary>
public sealed class ScopedProbe(ProbeLog log) : IAsyncDisposable
{
    public void Use(long jobId) => log.Used.Enqueue((this, jobId));

    public bool Disposed { get; private set; }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

public sealed class ProbeLog
{
    public ConcurrentQueue<(ScopedProbe Probe, long JobId)> Used { get; } = new();
}

public sealed record Other(string Text);

public sealed class OtherHandler : IJobHandler<Other>
{
    public Task HandleAsync(JobContext<Other> job, CancellationToken cancellationToken) => Task.CompletedTask;
}
