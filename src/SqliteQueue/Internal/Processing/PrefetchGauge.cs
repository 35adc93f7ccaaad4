using System.Diagnostics;

namespace SqliteQueue.Internal.Processing;

/// <summary>
/// How many jobs a worker should hold beyond the running ones: enough to cover <see cref="Window"/> of work at the
/// recent completion rate, up to the configured prefetch. Short jobs thus get large claims (and a stocked buffer),
/// while slow jobs are claimed about one per free slot, leaving the rest to other workers. The rate is measured in
/// real time on purpose: it describes this machine's speed, not the job schedule.
/// </summary>
internal sealed class PrefetchGauge(int max)
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(2);

    private int _finishedSinceSample;
    private long _sampledAt = Stopwatch.GetTimestamp();
    private double _rate;

    /// <summary>A held job is finished (from any thread).</summary>
    public void NoteFinished() => Interlocked.Increment(ref _finishedSinceSample);

    /// <summary>The prefetch for the next claim; called by the claim loop only.</summary>
    public int Current()
    {
        var now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(_sampledAt, now);
        if (elapsed >= SampleInterval)
        {
            var rate = Interlocked.Exchange(ref _finishedSinceSample, 0) / elapsed.TotalSeconds;
            _rate = (0.7 * _rate) + (0.3 * rate);
            _sampledAt = now;
        }

        return (int)Math.Min(max, _rate * Window.TotalSeconds);
    }
}
