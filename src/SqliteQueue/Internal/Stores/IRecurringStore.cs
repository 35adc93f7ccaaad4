using SqliteQueue.Internal.Recurring;
using SqliteQueue.Internal.Storage.Recurring;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Stores;

/// <summary>
/// The seam between the recurring-job logic (<see cref="RecurringJobs"/>, <see cref="RecurringScheduler"/>,
/// <see cref="RecurringTick"/>) and a database: the schedule table, its history, and the jobs a schedule enqueues.
/// The logic parses schedules, applies the misfire and overlap policies and decides what to log; a store only runs
/// the reads and writes it is asked for, all of one call in one transaction.
/// </summary>
/// <remarks>
/// Exactly-once firing rests on the atomicity of <see cref="RecurringWriteAsync"/>: a tick reads the due schedules,
/// inserts their jobs and advances them in one transaction, so when several processes tick at once only one of them
/// commits each occurrence. A store must serialize such transactions against each other, or fail all but one.
/// </remarks>
internal interface IRecurringStore : IJobStore
{
    /// <summary>History entries kept per schedule; the API refuses to read more and the store trims older ones.</summary>
    const int HistoryKept = 1000;

    /// <summary>
    /// Runs <paramref name="work"/> inside one transaction and returns its result once committed; nothing of it is
    /// kept when it throws. <paramref name="makesWorkDue"/> says it may have enqueued jobs runnable now, on any queue,
    /// so the store wakes the claims waiting on them.
    /// </summary>
    Task<T> RecurringWriteAsync<TState, T>(TState state, Func<IRecurringWrites, TState, T> work, bool makesWorkDue, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="read"/> outside any write transaction.</summary>
    Task<T> RecurringReadAsync<TState, T>(TState state, Func<IRecurringReads, TState, T> read, CancellationToken cancellationToken);
}

/// <summary>The reads of a store's schedules and their history; valid only inside the callback that was handed it.</summary>
internal interface IRecurringReads
{
    RecurringRow? Get(string name);

    /// <summary>Every schedule, ordered by name.</summary>
    List<RecurringRow> List();

    /// <summary>A schedule's newest history entries, newest first.</summary>
    List<RecurringLogRow> History(string name, int limit);

    /// <summary>The earliest next run of any active schedule, or null when none is active.</summary>
    long? NextDue();
}

/// <summary>
/// The writes of a store's schedules inside one <see cref="IRecurringStore.RecurringWriteAsync"/> transaction, and the
/// reads seen by it; valid only inside that callback. Times are Unix milliseconds.
/// </summary>
internal interface IRecurringWrites : IRecurringReads
{
    /// <summary>The store's clock, read once per transaction by the caller.</summary>
    long NowMs { get; }

    /// <summary>Up to <paramref name="limit"/> active schedules whose next run is at or before <paramref name="now"/>, earliest first.</summary>
    List<RecurringRow> Due(long now, int limit);

    /// <summary>The names of the schedules declared in code (not those created at run time).</summary>
    List<string> CodeNames();

    /// <summary>Adds an active schedule.</summary>
    void Insert(RecurringSpec spec, string source, long nextRunAt, long now);

    /// <summary>Rewrites a schedule's definition, state and next run.</summary>
    void Update(RecurringSpec spec, string source, string state, long? nextRunAt, string? lastError, long now);

    /// <summary>Deletes a schedule and its history; false when there was none.</summary>
    bool Delete(string name);

    void SetState(string name, string state, long? nextRunAt, string? lastError, long now);

    /// <summary>
    /// Moves a schedule past the occurrences up to <paramref name="last"/>; false when it is no longer active with next
    /// run <paramref name="seen"/>. This compare-and-set is what makes an occurrence fire once.
    /// </summary>
    bool Advance(string name, long seen, long? next, long last, long? jobId, int fired, long now);

    /// <summary>A live job of the schedule that the overlap policy waits on, or null when the occurrence may fire.</summary>
    long? Blocker(string name, Overlap overlap);

    /// <summary>Enqueues a schedule's job, runnable now; null when the occurrence already has one.</summary>
    long? InsertJob(RecurringSpec spec, long? occurrenceAt, long missed, long now);

    void Log(string name, long? occurrenceAt, RecurringOutcome outcome, long? jobId, string? detail, long now);

    /// <summary>Drops a schedule's history entries beyond the newest <see cref="IRecurringStore.HistoryKept"/>; once per schedule per write, after its entries.</summary>
    void TrimHistory(string name);
}
