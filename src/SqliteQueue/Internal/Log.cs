using Microsoft.Extensions.Logging;

namespace SqliteQueue.Internal;

/// <summary>Every log line of the library. Event ids: 1xxx store and client, 2xxx worker (212x its registration), 3xxx recurring jobs, 4xxx maintenance, 5xxx health.</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Information, "Queue database {DataSource} migrated tables with prefix '{Prefix}' to schema version {Version}")]
    public static partial void SchemaMigrated(this ILogger logger, string dataSource, string prefix, int version);

    [LoggerMessage(1002, LogLevel.Warning, "Queue database {DataSource} was locked by another connection; retry {Attempt} of {MaxAttempts}")]
    public static partial void StoreBusy(this ILogger logger, string dataSource, int attempt, int maxAttempts);

    [LoggerMessage(1006, LogLevel.Warning, "Checkpoint of {DataSource} failed; it is retried at the next one")]
    public static partial void CheckpointFailed(this ILogger logger, Exception ex, string dataSource);

    [LoggerMessage(1003, LogLevel.Debug, "Enqueued job {JobId} ({Kind}) on queue {Queue}")]
    public static partial void JobEnqueued(this ILogger logger, long jobId, string kind, string queue);

    [LoggerMessage(1004, LogLevel.Debug, "Enqueue of {Kind} on queue {Queue} matched live job {JobId} by deduplication key")]
    public static partial void JobDeduplicated(this ILogger logger, long jobId, string kind, string queue);

    [LoggerMessage(1005, LogLevel.Information, "Job {JobId} ({Kind}) on queue {Queue} was cancelled before it ran, as the client asked")]
    public static partial void JobCancelledByClient(this ILogger logger, long jobId, string kind, string queue);

    [LoggerMessage(1007, LogLevel.Information, "Cancellation of running job {JobId} ({Kind}) on queue {Queue} was requested; its handler is stopped within a heartbeat")]
    public static partial void JobCancelRequestedByClient(this ILogger logger, long jobId, string kind, string queue);

    [LoggerMessage(1008, LogLevel.Information, "Job {JobId} was made pending again by hand, with its attempts reset")]
    public static partial void JobRetriedByClient(this ILogger logger, long jobId);

    [LoggerMessage(1009, LogLevel.Warning, "The wake-up file {Path} of queue database {DataSource} cannot be watched; this process's idle workers see other processes' jobs at their next poll instead")]
    public static partial void WakeFileNotWatched(this ILogger logger, Exception ex, string path, string dataSource);

    [LoggerMessage(1010, LogLevel.Warning, "The wake-up file {Path} of queue database {DataSource} cannot be written; other processes' idle workers see this process's jobs at their next poll instead")]
    public static partial void WakeFileNotWritten(this ILogger logger, Exception ex, string path, string dataSource);

    [LoggerMessage(2001, LogLevel.Debug, "Worker {WorkerId} claimed {Count} jobs")]
    public static partial void JobsClaimed(this ILogger logger, string workerId, int count);

    [LoggerMessage(2002, LogLevel.Warning, "Expired leases were rescued: {Count} jobs made claimable again, dead-lettered or cancelled")]
    public static partial void LeasesRescued(this ILogger logger, int count);

    [LoggerMessage(2003, LogLevel.Warning, "Job {JobId} ({Kind}) failed on attempt {Attempt}; next run at {NextRunAt}")]
    public static partial void JobFailedWillRetry(this ILogger logger, long jobId, string kind, int attempt, DateTimeOffset nextRunAt);

    [LoggerMessage(2004, LogLevel.Error, "Job {JobId} ({Kind}) failed on attempt {Attempt} and is dead: {Error}")]
    public static partial void JobDead(this ILogger logger, long jobId, string kind, int attempt, string error);

    [LoggerMessage(2005, LogLevel.Warning, "Worker {WorkerId} lost the lease of job {JobId} ({Kind}); the settle was not applied")]
    public static partial void LeaseLost(this ILogger logger, string workerId, long jobId, string kind);

    [LoggerMessage(2006, LogLevel.Debug, "Job {JobId} ({Kind}) completed on attempt {Attempt}")]
    public static partial void JobCompleted(this ILogger logger, long jobId, string kind, int attempt);

    [LoggerMessage(2007, LogLevel.Information, "Job {JobId} ({Kind}) was cancelled while running, on attempt {Attempt}, as requested")]
    public static partial void JobCancelledWhileRunning(this ILogger logger, long jobId, string kind, int attempt);

    [LoggerMessage(2008, LogLevel.Debug, "Job {JobId} ({Kind}) was released on attempt {Attempt}, which does not count")]
    public static partial void JobReleased(this ILogger logger, long jobId, string kind, int attempt);

    [LoggerMessage(2101, LogLevel.Information, "Worker {WorkerId} started on queues {Queues} with concurrency {Concurrency}")]
    public static partial void ProcessorStarted(this ILogger logger, string workerId, string queues, int concurrency);

    [LoggerMessage(2102, LogLevel.Information, "Worker {WorkerId} stopped")]
    public static partial void ProcessorStopped(this ILogger logger, string workerId);

    [LoggerMessage(2103, LogLevel.Error, "Worker {WorkerId} failed to claim; it retries after the poll interval")]
    public static partial void ClaimFailed(this ILogger logger, Exception ex, string workerId);

    [LoggerMessage(2104, LogLevel.Warning, "Handler of job {JobId} ({Kind}) failed on attempt {Attempt}")]
    public static partial void HandlerFailed(this ILogger logger, Exception ex, long jobId, string kind, int attempt);

    [LoggerMessage(2105, LogLevel.Warning, "Job {JobId} ({Kind}) timed out after {Timeout} on attempt {Attempt}; its handler is stopped")]
    public static partial void JobTimedOut(this ILogger logger, long jobId, string kind, TimeSpan timeout, int attempt);

    [LoggerMessage(2106, LogLevel.Error, "Settling job {JobId} ({Kind}) failed; the job is retaken when its lease expires")]
    public static partial void SettleFailed(this ILogger logger, Exception ex, long jobId, string kind);

    [LoggerMessage(2107, LogLevel.Error, "Running job {JobId} ({Kind}) failed outside its handler")]
    public static partial void JobRunFailed(this ILogger logger, Exception ex, long jobId, string kind);

    [LoggerMessage(2108, LogLevel.Warning, "Handler of job {JobId} ({Kind}) failed after its job had moved on")]
    public static partial void AbandonedHandlerFailed(this ILogger logger, Exception ex, long jobId, string kind);

    [LoggerMessage(2109, LogLevel.Error, "Heartbeat of worker {WorkerId} failed; leases are renewed at the next beat")]
    public static partial void HeartbeatFailed(this ILogger logger, Exception ex, string workerId);

    [LoggerMessage(2110, LogLevel.Warning, "Worker {WorkerId} released {Count} running jobs at shutdown")]
    public static partial void JobsReleasedAtShutdown(this ILogger logger, string workerId, int count);

    [LoggerMessage(2111, LogLevel.Debug, "Job {JobId} ({Kind}): cancellation was requested; its handler is stopped")]
    public static partial void JobCancelRequested(this ILogger logger, long jobId, string kind);

    [LoggerMessage(2112, LogLevel.Debug, "Job {JobId} ({Kind}) is released because the worker is stopping")]
    public static partial void JobStoppedForShutdown(this ILogger logger, long jobId, string kind);

    [LoggerMessage(2113, LogLevel.Warning, "Worker {WorkerId} lost the lease of job {JobId} ({Kind}) before it finished; its handler is stopped and nothing is written")]
    public static partial void LeaseLostWhileRunning(this ILogger logger, string workerId, long jobId, string kind);

    [LoggerMessage(2114, LogLevel.Debug, "Handler of job {JobId} ({Kind}) stopped when its cancellation token fired")]
    public static partial void HandlerStopped(this ILogger logger, long jobId, string kind);

    [LoggerMessage(2115, LogLevel.Warning, "Worker {WorkerId} could not start held jobs; their leases run out and they are claimed again without spending an attempt")]
    public static partial void StartHeldFailed(this ILogger logger, Exception ex, string workerId);

    [LoggerMessage(2116, LogLevel.Warning, "Job observer {Observer} threw on the {Event} event of job {JobId} ({Kind}); the queue and the other observers go on")]
    public static partial void ObserverFailed(this ILogger logger, Exception ex, string observer, SqliteQueue.Events.JobEventKind @event, long jobId, string kind);

    [LoggerMessage(2117, LogLevel.Error, "The job observers registered in the container could not be resolved; none of them is called until the process restarts")]
    public static partial void ObserversUnresolved(this ILogger logger, Exception ex);

    [LoggerMessage(3001, LogLevel.Debug, "Recurring job {Name} enqueued job {JobId} for its occurrence at {ScheduledFor}")]
    public static partial void RecurringFired(this ILogger logger, string name, long jobId, DateTimeOffset scheduledFor);

    [LoggerMessage(3002, LogLevel.Information, "Recurring job {Name} enqueued job {JobId} late, for {Missed} missed occurrences up to {ScheduledFor}")]
    public static partial void RecurringCaughtUp(this ILogger logger, string name, long jobId, long missed, DateTimeOffset scheduledFor);

    [LoggerMessage(3003, LogLevel.Information, "Recurring job {Name} skipped its occurrence at {ScheduledFor}: {Reason}")]
    public static partial void RecurringSkipped(this ILogger logger, string name, DateTimeOffset scheduledFor, string reason);

    [LoggerMessage(3004, LogLevel.Error, "Recurring job {Name} is broken and will not fire until it is fixed: {Error}")]
    public static partial void RecurringBroken(this ILogger logger, string name, string error);

    [LoggerMessage(3005, LogLevel.Information, "Recurring jobs declared in code synced: {Added} added, {Changed} changed, {Removed} removed, {Unchanged} unchanged")]
    public static partial void RecurringSynced(this ILogger logger, int added, int changed, int removed, int unchanged);

    [LoggerMessage(3006, LogLevel.Information, "Recurring job {Name} is no longer declared in code and was removed")]
    public static partial void RecurringRemoved(this ILogger logger, string name);

    [LoggerMessage(3007, LogLevel.Error, "The recurring-job scheduler failed; it tries again in {RetryIn}")]
    public static partial void SchedulerFailed(this ILogger logger, Exception ex, TimeSpan retryIn);

    [LoggerMessage(3008, LogLevel.Warning, "Recurring job {Name}: {Warning}")]
    public static partial void RecurringWarning(this ILogger logger, string name, string warning);

    [LoggerMessage(3009, LogLevel.Information, "Recurring job {Name} was triggered by hand: job {JobId}")]
    public static partial void RecurringTriggered(this ILogger logger, string name, long jobId);

    [LoggerMessage(4001, LogLevel.Information, "Maintenance of {DataSource} is now run by this process ({Owner})")]
    public static partial void MaintenanceLeaseTaken(this ILogger logger, string dataSource, string owner);

    [LoggerMessage(4002, LogLevel.Warning, "Maintenance of {DataSource}: the lease was lost to another process; this one stands by")]
    public static partial void MaintenanceLeaseLost(this ILogger logger, string dataSource);

    [LoggerMessage(4003, LogLevel.Information, "Pruned {Total} finished jobs from {DataSource} ({Completed} completed, {Cancelled} cancelled, {Dead} dead) in {Batches} batches, the longest {LongestMs} ms")]
    public static partial void Pruned(this ILogger logger, string dataSource, long total, long completed, long cancelled, long dead, int batches, double longestMs);

    [LoggerMessage(4004, LogLevel.Warning, "The WAL of {DataSource} is {WalBytes} bytes, over its {LimitBytes}-byte limit, and a checkpoint could not finish: a reader is holding an old snapshot open, or another connection held the lock")]
    public static partial void WalOverLimit(this ILogger logger, string dataSource, long walBytes, long limitBytes);

    [LoggerMessage(4005, LogLevel.Error, "Maintenance task {Task} on {DataSource} failed; it runs again in {RetryIn}")]
    public static partial void MaintenanceFailed(this ILogger logger, Exception ex, string task, string dataSource, TimeSpan retryIn);

    [LoggerMessage(4006, LogLevel.Error, "The integrity check of {DataSource} found {Count} problems; the first: {Problem}")]
    public static partial void IntegrityProblems(this ILogger logger, string dataSource, int count, string problem);

    [LoggerMessage(4007, LogLevel.Information, "Backed up {DataSource} to {Path} ({Bytes} bytes)")]
    public static partial void BackedUp(this ILogger logger, string dataSource, string path, long bytes);

    [LoggerMessage(4008, LogLevel.Debug, "Checkpoint of {DataSource} ({Mode}): {Checkpointed} of {Frames} frames, busy {Busy}, WAL now {WalBytes} bytes")]
    public static partial void Checkpointed(this ILogger logger, string dataSource, string mode, long checkpointed, long frames, bool busy, long walBytes);
    [LoggerMessage(2120, LogLevel.Debug, "Worker {WorkerId} registered on {Host} (process {ProcessId}); it beats every {Interval}")]
    public static partial void WorkerRegistered(this ILogger logger, string workerId, string host, int processId, TimeSpan interval);

    [LoggerMessage(2121, LogLevel.Warning, "Worker {WorkerId} could not write its registration; it tries again in {Interval}")]
    public static partial void WorkerBeatFailed(this ILogger logger, Exception ex, string workerId, TimeSpan interval);

    [LoggerMessage(2122, LogLevel.Warning, "Worker {WorkerId} on {Host} (process {ProcessId}) stopped beating without unregistering (its process died or hung); its registration expired and was removed")]
    public static partial void WorkerExpired(this ILogger logger, string workerId, string host, long processId);

    [LoggerMessage(2123, LogLevel.Debug, "Worker {WorkerId} removed its registration")]
    public static partial void WorkerUnregistered(this ILogger logger, string workerId);

    [LoggerMessage(2124, LogLevel.Warning, "Worker {WorkerId} could not remove its registration at stop; it is listed until it expires, within {Expiry}")]
    public static partial void WorkerUnregisterFailed(this ILogger logger, Exception ex, string workerId, TimeSpan expiry);

    [LoggerMessage(5001, LogLevel.Debug, "Health of {DataSource}: {Status} with {ProblemCount} problems")]
    public static partial void HealthChecked(this ILogger logger, string dataSource, string status, int problemCount);

    [LoggerMessage(5002, LogLevel.Warning, "Health check of {DataSource} could not read the store")]
    public static partial void HealthReadFailed(this ILogger logger, Exception ex, string dataSource);
}
