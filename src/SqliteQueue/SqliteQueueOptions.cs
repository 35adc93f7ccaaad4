using System.Text.Json;
using SqliteQueue.Diagnostics;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Retry;
using SqliteQueue.Scheduling;

namespace SqliteQueue;

/// <summary>How the queue store is opened and the defaults jobs and workers get.</summary>
public sealed class SqliteQueueOptions
{
    /// <summary>
    /// A Microsoft.Data.Sqlite connection string, such as <c>Data Source=jobs.db</c>, or
    /// <c>Data Source=name;Mode=Memory;Cache=Shared</c> for an in-memory queue that lives as long as the store.
    /// </summary>
    /// <value>Required; there is no default.</value>
    public string ConnectionString { get; set; } = "";

    /// <summary>The prefix of the queue's table names, so the queue can share the host application's database file.</summary>
    /// <value>The default is <c>queue_</c>. A letter, then up to 30 letters, digits or underscores.</value>
    public string TablePrefix { get; set; } = "queue_";

    /// <summary>How hard each commit is pushed to disk.</summary>
    /// <value>The default is <see cref="SynchronousMode.Normal"/>: survives a process crash, may lose the last commits on a power cut.</value>
    public SynchronousMode Synchronous { get; set; } = SynchronousMode.Normal;

    /// <summary>How long one statement waits for another process's write lock before the store retries.</summary>
    /// <value>The default is 5 seconds. 1 second to 10 minutes.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many times a write that still finds the file locked after <see cref="BusyTimeout"/> is retried before <see cref="QueueBusyException"/>.</summary>
    /// <value>The default is 3. 0 to 100.</value>
    public int BusyRetries { get; set; } = 3;

    /// <summary>
    /// The writer connection's page cache, SQLite's <c>cache_size</c>, in KiB. SQLite's own default of 2 MB makes every
    /// write past a few thousand jobs fetch index pages from the OS; a larger cache keeps more of a deep queue's
    /// indexes in memory. Each store's writer may hold this much; readers keep SQLite's default.
    /// </summary>
    /// <value>The default is 32,768 (32 MiB). 256 to 4,194,304 (4 GiB).</value>
    public int CacheSizeKiB { get; set; } = 32_768;

    /// <summary>
    /// SQLite's <c>wal_autocheckpoint</c> on the writer, in pages: the WAL size at which a commit checkpoints
    /// inline, adding the checkpoint's time to that one caller. The store already checkpoints from a background
    /// connection every 2,000 changed rows, off the commit path, so this is only the backstop for when that one
    /// falls behind (a reader holding an old snapshot, another process's lock). 0 turns SQLite's automatic checkpoint
    /// off and leaves only the background one, which never waits for readers: under reads that never pause the WAL
    /// can then grow without bound. Not applied to an in-memory database.
    /// </summary>
    /// <value>The default is 8,192 (32 MiB of 4 KiB pages). 0 to 1,048,576.</value>
    public int WalAutoCheckpointPages { get; set; } = 8192;

    /// <summary>
    /// SQLite's <c>journal_size_limit</c>, in bytes: when a checkpoint has caught up and the WAL restarts, its file is
    /// truncated to at most this size, so one burst does not leave a huge WAL file behind. -1 never truncates;
    /// 0 truncates to the smallest size.
    /// </summary>
    /// <value>The default is 67,108,864 (64 MiB). -1 to 17,179,869,184 (16 GiB).</value>
    public long JournalSizeLimitBytes { get; set; } = 64L << 20;

    /// <summary>
    /// SQLite's <c>mmap_size</c>, in bytes, on the writer and on readers: how much of the file is read through
    /// memory-mapped I/O instead of read calls, which saves a copy per page read. An I/O error on a mapped page (a
    /// failing disk, a network file system, a file truncated by another program) then ends the process with a signal
    /// instead of failing one call, which is why it is off by default.
    /// </summary>
    /// <value>The default is 0 (off). 0 to 2,147,418,112 (SQLite's own limit in this build).</value>
    public long MmapSizeBytes { get; set; }

    /// <summary>
    /// Whether writes that arrive while another is committing (enqueues, claims, completions, renewals from many
    /// threads) are committed together in one transaction. It multiplies throughput under load at no cost when
    /// idle; each write is still isolated by a savepoint and its caller still returns only after the commit.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool GroupCommit { get; set; } = true;

    /// <summary>
    /// Whether idle workers in other processes on this machine are woken as soon as this process makes jobs
    /// available, instead of at their next poll. After such a commit the process writes a few bytes to a small file in
    /// a folder of its own next to the database (<c>&lt;database&gt;-wake/signal</c>), which a process with a waiting
    /// worker watches (inotify on Linux, ReadDirectoryChangesW on Windows, FSEvents on macOS). When the file cannot be written or watched, this is
    /// logged once and the workers poll (<see cref="QueueWorkerOptions.PollInterval"/>), as they do when this is off.
    /// Ignored for a memory database.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool CrossProcessWake { get; set; } = true;

    /// <summary>The attempts a job gets unless its enqueue says otherwise.</summary>
    /// <value>The default is 5. 1 to 1000.</value>
    public int DefaultMaxAttempts { get; set; } = 5;

    /// <summary>How long a claim holds a job before another worker may take it, unless the worker says otherwise.</summary>
    /// <value>The default is 30 seconds. 1 second to 1 day.</value>
    public TimeSpan DefaultLeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a wait (<see cref="IQueueClient.WaitForJobAsync"/>, <see cref="IQueueClient.WaitUntilIdleAsync"/>) re-reads the store for changes made by other processes. Changes made in this process wake waits at once.</summary>
    /// <value>The default is 1 second. 10 milliseconds to 1 hour.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often each hosted worker group beats its row in the file's worker registry (see
    /// <see cref="Monitoring.IQueueMonitor.ListWorkersAsync"/>). A row expires three intervals after its last beat: a
    /// worker whose process died leaves listings and the live-worker count by then. Each beat is one small write.
    /// </summary>
    /// <value>The default is 10 seconds. 100 milliseconds to 1 hour.</value>
    public TimeSpan WorkerHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest payload accepted, in UTF-16 characters.</summary>
    /// <value>The default is 1,048,576. 1 to 268,435,456.</value>
    public int MaxPayloadLength { get; set; } = 1 << 20;

    /// <summary>The strategy workers use unless their own options say otherwise.</summary>
    /// <value>The default is <see cref="SchedulingStrategies.Fifo"/>.</value>
    public ISchedulingStrategy DefaultStrategy { get; set; } = SchedulingStrategies.Fifo;

    /// <summary>The policy that spaces retries of failed jobs.</summary>
    /// <value>The default is exponential backoff with full jitter, base 1 second, cap 1 hour.</value>
    public IBackoffPolicy BackoffPolicy { get; set; } = new ExponentialBackoff();

    /// <summary>The serializer options for typed payloads.</summary>
    /// <value>The default is <see cref="JsonSerializerDefaults.Web"/>.</value>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>How the queue's spans are shaped (the <c>process</c> span's parent, exception messages); see <see cref="TracingOptions"/>.</summary>
    /// <value>Never null; its properties have their own defaults.</value>
    public TracingOptions Tracing { get; } = new();

    /// <summary>
    /// Builds the store when an add-on package chose another database (for example <c>UsePostgreSql</c>); null for the
    /// SQLite store that <see cref="ConnectionString"/> names.
    /// </summary>
    internal Func<StoreContext, IJobStore>? StoreFactory { get; set; }

    /// <summary>The chosen store's own option problems, each naming the option; checked with the rest at start-up.</summary>
    internal Func<IEnumerable<string>>? ValidateStore { get; set; }
}

/// <summary>What a store is built with: the options, the clock, where logs go and where its meter comes from.</summary>
internal sealed record StoreContext(SqliteQueueOptions Options, TimeProvider Time, Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory, System.Diagnostics.Metrics.IMeterFactory? MeterFactory);

/// <summary>SQLite's <c>synchronous</c> setting for the queue's connections.</summary>
public enum SynchronousMode
{
    /// <summary>WAL with <c>synchronous=NORMAL</c>: a committed job survives a process crash; a power cut may lose the latest commits. Fast.</summary>
    Normal = 1,

    /// <summary><c>synchronous=FULL</c>: every commit is on disk before it returns, at one fsync per commit.</summary>
    Full = 2,
}
