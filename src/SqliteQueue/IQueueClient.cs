namespace SqliteQueue;

/// <summary>The producer side of the queue: add, read, cancel, retry and wait for jobs. Thread-safe; one per application.</summary>
public interface IQueueClient
{
    /// <summary>Adds a job whose payload is serialized with System.Text.Json.</summary>
    /// <typeparam name="TPayload">The payload type.</typeparam>
    /// <param name="type">The job type name that routes the job to its handler. 1 to 200 characters, at least one of them visible (not only white space or invisible characters), no control characters.</param>
    /// <param name="payload">The payload; must serialize to at most <see cref="SqliteQueueOptions.MaxPayloadLength"/> characters.</param>
    /// <param name="options">Per-job settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>The new job's id, or the id of the pending or running job that holds the same deduplication key.</returns>
    Task<long> EnqueueAsync<TPayload>(string type, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Adds a job whose payload is given as JSON text, stored as it is.</summary>
    /// <param name="type">The job type name. 1 to 200 characters, at least one of them visible (not only white space or invisible characters), no control characters.</param>
    /// <param name="payloadJson">One well-formed JSON value.</param>
    /// <param name="options">Per-job settings, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>The new job's id, or the id of the pending or running job that holds the same deduplication key.</returns>
    Task<long> EnqueueJsonAsync(string type, string payloadJson, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Adds many jobs of one type in one transaction: all are added or none.</summary>
    /// <typeparam name="TPayload">The payload type.</typeparam>
    /// <param name="type">The job type name.</param>
    /// <param name="payloads">The payloads, one job each.</param>
    /// <param name="options">Settings shared by every job, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>The ids, in the order of <paramref name="payloads"/>.</returns>
    Task<IReadOnlyList<long>> EnqueueManyAsync<TPayload>(string type, IEnumerable<TPayload> payloads, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Adds many jobs in one transaction: all are added or none.</summary>
    /// <param name="jobs">The jobs.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>The ids, in the order of <paramref name="jobs"/>.</returns>
    Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<NewJob> jobs, CancellationToken cancellationToken = default);

    /// <summary>Reads one job.</summary>
    /// <param name="jobId">The job's id, greater than zero.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The job, or <see langword="null"/> when no job has that id.</returns>
    Task<JobInfo?> GetJobAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Reads a job's attempts, oldest first.</summary>
    /// <param name="jobId">The job's id, greater than zero.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The settled attempts; the running one, if any, is not yet listed.</returns>
    Task<IReadOnlyList<JobExecution>> GetExecutionsAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Lists jobs matching a filter, one page at a time.</summary>
    /// <param name="query">The filter and page.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The page.</returns>
    Task<JobPage> ListJobsAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>Cancels a pending job at once, or asks the worker of a running job to stop.</summary>
    /// <param name="jobId">The job's id, greater than zero.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns>What happened.</returns>
    Task<CancelResult> CancelAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Puts a dead or cancelled job back to pending, runnable now, with a fresh attempt budget. Its history is kept.</summary>
    /// <param name="jobId">The job's id, greater than zero.</param>
    /// <param name="cancellationToken">Cancels the wait for the store.</param>
    /// <returns><see langword="true"/> when the job was retried; <see langword="false"/> when it does not exist or is not dead or cancelled.</returns>
    /// <exception cref="SqliteQueueException">Another pending or running job holds the job's deduplication key.</exception>
    Task<bool> RetryAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Counts jobs per queue and state.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The counts and, per queue, the age of the oldest runnable job.</returns>
    Task<QueueStats> GetStatsAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until a job is completed, dead or cancelled.</summary>
    /// <param name="jobId">The job's id, greater than zero.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>The finished job.</returns>
    /// <exception cref="JobNotFoundException">No job has that id.</exception>
    Task<JobInfo> WaitForJobAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Whether a job is pending or running.</summary>
    /// <param name="jobId">The job's id, greater than zero.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns><see langword="false"/> for finished jobs and unknown ids.</returns>
    Task<bool> IsActiveAsync(long jobId, CancellationToken cancellationToken = default);

    /// <summary>Counts pending (including delayed) and running jobs.</summary>
    /// <param name="queue">Only this queue, or <see langword="null"/> for all queues.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The count.</returns>
    Task<long> CountActiveAsync(string? queue = null, CancellationToken cancellationToken = default);

    /// <summary>Lists the ids of pending (including delayed) and running jobs, ascending.</summary>
    /// <param name="queue">Only this queue, or <see langword="null"/> for all queues.</param>
    /// <param name="limit">The most ids to return, 1 to 1,000,000.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The ids.</returns>
    Task<IReadOnlyList<long>> ListActiveJobIdsAsync(string? queue = null, int limit = 10_000, CancellationToken cancellationToken = default);

    /// <summary>Waits until no queue has pending (including delayed) or running jobs.</summary>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>A task that ends when every queue is idle.</returns>
    Task WaitUntilAllIdleAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until a queue has no pending (including delayed) and no running jobs.</summary>
    /// <param name="queue">The queue name.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>A task that ends when the queue is idle.</returns>
    Task WaitUntilIdleAsync(string queue, CancellationToken cancellationToken = default);
}
