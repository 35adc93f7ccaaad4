namespace SqliteQueue.Recurring;

/// <summary>
/// Recurring jobs at run time: create, change, pause, trigger and inspect schedules. Resolve it from dependency
/// injection, or use <see cref="SqliteJobQueue.Recurring"/>. Schedules live in the queue file, so every process
/// sharing the file sees the same ones; any process running a scheduler fires them, each occurrence once.
/// </summary>
public interface IRecurringJobs
{
    /// <summary>
    /// Creates a schedule, or changes the one with the definition's name. A changed schedule or time zone recomputes
    /// the next occurrence from now (never firing an occurrence already handled); other changes apply from the next
    /// occurrence. A schedule declared in code becomes a run-time one.
    /// </summary>
    /// <param name="definition">The definition.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The schedule as stored.</returns>
    /// <exception cref="ArgumentException">A field is invalid; the message names it and its value.</exception>
    Task<RecurringJobInfo> UpsertAsync(RecurringJobDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Deletes a schedule and its history. Jobs it already enqueued are kept.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether a schedule had that name.</returns>
    Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stops a schedule firing until it is resumed. Pausing a paused schedule changes nothing.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether a schedule had that name.</returns>
    Task<bool> PauseAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Makes a paused or broken schedule fire again.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="from">Whether occurrences that came while it was paused are dropped (the default) or handled as missed.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether a schedule had that name.</returns>
    /// <exception cref="SqliteQueueException">The schedule is broken and still cannot be evaluated here; the message says why.</exception>
    Task<bool> ResumeAsync(string name, ResumeFrom from = ResumeFrom.Now, CancellationToken cancellationToken = default);

    /// <summary>Enqueues the schedule's job now, outside the schedule: the next occurrence stays where it was.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="ignoreOverlap">Enqueue even if the schedule's overlap policy would skip it.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new job's id, or null when the overlap policy skipped it.</returns>
    /// <exception cref="KeyNotFoundException">No schedule has that name.</exception>
    Task<long?> TriggerAsync(string name, bool ignoreOverlap = false, CancellationToken cancellationToken = default);

    /// <summary>Reads one schedule.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The schedule, or null.</returns>
    Task<RecurringJobInfo?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Lists every schedule, by name.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The schedules.</returns>
    Task<IReadOnlyList<RecurringJobInfo>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads a schedule's history, newest first: what it did with each occurrence.</summary>
    /// <param name="name">The schedule's name.</param>
    /// <param name="limit">The most entries to return, from 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The entries; empty for an unknown name.</returns>
    Task<IReadOnlyList<RecurringOccurrence>> GetHistoryAsync(string name, int limit = 50, CancellationToken cancellationToken = default);
}
