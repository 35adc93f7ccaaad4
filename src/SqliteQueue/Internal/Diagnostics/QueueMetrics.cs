using System.Diagnostics;
using System.Diagnostics.Metrics;
using SqliteQueue.Diagnostics;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Internal.Diagnostics;

/// <summary>
/// One store's instruments, on one <see cref="Meter"/> named <see cref="SqliteQueueDiagnostics.MeterName"/>: created
/// through the application's <see cref="IMeterFactory"/> when it has one (which then owns the meter), else by the store,
/// which disposes it. Every method checks <see cref="Instrument.Enabled"/> before it builds a tag.
/// </summary>
internal sealed class QueueMetrics : IDisposable
{
    // The OpenTelemetry messaging conventions' advice for its duration histograms.
    private static readonly double[] MessagingBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    // Waits for a due job run from milliseconds (an idle worker) to hours (a backlog).
    private static readonly double[] WaitBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    // The write lock is held for tens of microseconds per commit; contention shows from a millisecond up.
    private static readonly double[] LockBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // A group commit takes at most 512 writes (GroupCommit.MaxGroup), plus the claims parked on them.
    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    private readonly bool _ownsMeter;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _consumed;
    private readonly Histogram<double> _processDuration;
    private readonly Histogram<double> _waitDuration;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _dead;
    private readonly Counter<long> _leaseExpired;
    private readonly Counter<long> _occurrences;
    private readonly Histogram<double> _lockWait;
    private readonly Histogram<int> _batchSize;

    public QueueMetrics(StoreGauges gauges, IMeterFactory? meterFactory)
    {
        var version = typeof(QueueMetrics).Assembly.GetName().Version?.ToString();
        if (meterFactory is null)
        {
            Meter = new Meter(SqliteQueueDiagnostics.MeterName, version);
            _ownsMeter = true;
        }
        else
        {
            Meter = meterFactory.Create(new MeterOptions(SqliteQueueDiagnostics.MeterName) { Version = version });
        }

        _sent = Meter.CreateCounter<long>("messaging.client.sent.messages", "{message}", "Jobs enqueued (sent), deduplicated ones included.");
        _consumed = Meter.CreateCounter<long>("messaging.client.consumed.messages", "{message}", "Attempts whose handler ran (messages delivered to the application).");
        _processDuration = Meter.CreateHistogram<double>("messaging.process.duration", "s", "From the start of an attempt's handler until its outcome is written.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MessagingBuckets });
        _waitDuration = Meter.CreateHistogram<double>("sqlitequeue.job.wait.duration", "s", "From when a job was due until its attempt started.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = WaitBuckets });
        _retries = Meter.CreateCounter<long>("sqlitequeue.job.retries", "{job}", "Failed attempts whose job will run again.");
        _dead = Meter.CreateCounter<long>("sqlitequeue.job.dead", "{job}", "Jobs that became dead: attempts spent or a permanent failure.");
        _leaseExpired = Meter.CreateCounter<long>("sqlitequeue.job.lease_expired", "{job}", "Jobs taken back because their worker's lease expired.");
        _occurrences = Meter.CreateCounter<long>("sqlitequeue.recurring.occurrences", "{occurrence}", "Occurrences of recurring jobs, by what became of them.");
        _lockWait = Meter.CreateHistogram<double>("sqlitequeue.db.lock.wait.duration", "s", "Time a commit waited for the database's write lock, busy retries included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LockBuckets });
        _batchSize = Meter.CreateHistogram<int>("sqlitequeue.db.write.batch.size", "{operation}", "Writes committed together in one transaction (group commit).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        Meter.CreateObservableUpDownCounter("sqlitequeue.jobs", gauges.ObserveJobs, "{job}", "Jobs by queue and state, from the store's statistics (cached for a few seconds).");
        Meter.CreateObservableGauge("sqlitequeue.queue.oldest_runnable.age", gauges.ObserveOldestRunnableAge, "s", "Age of the oldest due job still waiting, per queue.");
        Meter.CreateObservableGauge("sqlitequeue.db.size", gauges.ObserveDatabaseSize, "By", "Size of the database file.");
        Meter.CreateObservableGauge("sqlitequeue.db.wal.size", gauges.ObserveWalSize, "By", "Size of the database's write-ahead log file.");
    }

    public Meter Meter { get; }

    /// <summary>Whether an attempt's duration or count is listened to: without, no timestamp is read for it.</summary>
    public bool ProcessEnabled => _consumed.Enabled || _processDuration.Enabled;

    public bool WaitEnabled => _waitDuration.Enabled;

    public bool LockWaitEnabled => _lockWait.Enabled;

    public void Sent(string queue, long count, string? errorType)
    {
        if (!_sent.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { Tags.MessagingSystem, Tags.System },
            { Tags.OperationName, Tags.Send },
            { Tags.Destination, queue },
        };
        if (errorType is not null)
        {
            tags.Add(Tags.ErrorType, errorType);
        }

        _sent.Add(count, tags);
    }

    /// <summary>Counts a batch per queue, one measurement per run of jobs on the same queue.</summary>
    public void Sent(List<JobInsert> jobs, string? errorType)
    {
        if (!_sent.Enabled)
        {
            return;
        }

        var start = 0;
        for (var i = 1; i <= jobs.Count; i++)
        {
            if (i == jobs.Count || !string.Equals(jobs[i].Queue, jobs[start].Queue, StringComparison.Ordinal))
            {
                Sent(jobs[start].Queue, i - start, errorType);
                start = i;
            }
        }
    }

    /// <summary>One attempt ended: counted as consumed, and its duration recorded with its outcome.</summary>
    public void Processed(ClaimedJob job, string outcome, string? errorType, double seconds)
    {
        var tags = new TagList
        {
            { Tags.MessagingSystem, Tags.System },
            { Tags.OperationName, Tags.Process },
            { Tags.Destination, job.Queue },
        };
        if (errorType is not null)
        {
            tags.Add(Tags.ErrorType, errorType);
        }

        if (_consumed.Enabled)
        {
            _consumed.Add(1, tags);
        }

        if (_processDuration.Enabled)
        {
            tags.Add(Tags.JobType, job.Type);
            tags.Add(Tags.Outcome, outcome);
            _processDuration.Record(seconds, tags);
        }
    }

    /// <summary>An attempt started at <paramref name="startedMs"/>: how long its job had been due.</summary>
    public void Waited(ClaimedJob job, long startedMs)
    {
        if (_waitDuration.Enabled)
        {
            _waitDuration.Record(Math.Max(0, startedMs - job.DueAtMs) / 1000.0, new KeyValuePair<string, object?>(Tags.Destination, job.Queue));
        }
    }

    public void Retried(string queue, string type) => AddJob(_retries, queue, type);

    public void Dead(string queue, string type) => AddJob(_dead, queue, type);

    public bool DeadEnabled => _dead.Enabled;

    public void LeaseExpired(string queue, string type) => AddJob(_leaseExpired, queue, type);

    public bool LeaseExpiredEnabled => _leaseExpired.Enabled;

    public void Occurrence(string name, string outcome)
    {
        if (_occurrences.Enabled)
        {
            _occurrences.Add(1, new KeyValuePair<string, object?>(Tags.RecurringName, name), new KeyValuePair<string, object?>(Tags.RecurringOutcome, outcome));
        }
    }

    public void LockWaited(double seconds)
    {
        if (_lockWait.Enabled)
        {
            _lockWait.Record(seconds);
        }
    }

    public void WriteBatch(int size)
    {
        if (_batchSize.Enabled)
        {
            _batchSize.Record(size);
        }
    }

    private static void AddJob(Counter<long> counter, string queue, string type)
    {
        if (counter.Enabled)
        {
            counter.Add(1, new KeyValuePair<string, object?>(Tags.Destination, queue), new KeyValuePair<string, object?>(Tags.JobType, type));
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
