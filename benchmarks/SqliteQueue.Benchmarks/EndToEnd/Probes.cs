using System.Diagnostics;
using System.Threading.Channels;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>The payload of a latency sample: when it was sent, on the machine's monotonic clock.</summary>
/// <param name="SentAt">
/// <see cref="Stopwatch.GetTimestamp"/> just before the enqueue call. On Linux that is <c>CLOCK_MONOTONIC</c> in
/// nanoseconds, one clock for every process on the machine, so a timestamp taken in another process compares.
/// </param>
/// <param name="Seq">The sample's number.</param>
internal sealed record LatencyPayload(long SentAt, int Seq);

/// <summary>Counts handled jobs and signals when the expected number has run.</summary>
internal sealed class DrainProbe(int expected)
{
    private int _handled;

    public TaskCompletionSource AllHandled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Handled => Volatile.Read(ref _handled);

    public void OnHandled()
    {
        if (Interlocked.Increment(ref _handled) == expected)
        {
            AllHandled.TrySetResult();
        }
    }
}

/// <summary>The no-op handler of the drain measurements.</summary>
internal sealed class NoOpHandler(DrainProbe probe) : IJobHandler<OrderPayload>
{
    public Task HandleAsync(JobContext<OrderPayload> job, CancellationToken cancellationToken)
    {
        probe.OnHandled();
        return Task.CompletedTask;
    }
}

/// <summary>Receives, for every latency job, the time its handler started.</summary>
internal sealed class LatencyProbe
{
    private readonly Channel<(LatencyPayload Payload, long StartedAt)> _started =
        Channel.CreateUnbounded<(LatencyPayload, long)>(new UnboundedChannelOptions { SingleReader = true });

    public void OnStarted(LatencyPayload payload, long startedAt) => _started.Writer.TryWrite((payload, startedAt));

    /// <summary>Waits for the handler of sample <paramref name="seq"/> and returns its latency in milliseconds.</summary>
    public async Task<double> WaitAsync(int seq, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var (payload, startedAt) = await _started.Reader.ReadAsync(cts.Token);
            if (payload.Seq == seq)
            {
                return Stopwatch.GetElapsedTime(payload.SentAt, startedAt).TotalMilliseconds;
            }
        }
    }
}

/// <summary>Records the moment it starts, first thing.</summary>
internal sealed class LatencyHandler(LatencyProbe probe) : IJobHandler<LatencyPayload>
{
    public Task HandleAsync(JobContext<LatencyPayload> job, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        probe.OnStarted(job.Payload, now);
        return Task.CompletedTask;
    }
}
