namespace SqliteQueue.Recurring;

/// <summary>
/// What a schedule does with occurrences that were due longer ago than its grace period when the scheduler got to
/// them (every process was down, or the file was busy). Occurrences within the grace period always fire.
/// </summary>
public enum Misfire
{
    /// <summary>Fire once for all of them, for the latest missed occurrence; none if an on-time one fires anyway. The default.</summary>
    RunOnce,

    /// <summary>
    /// Fire each missed occurrence, oldest first, up to the schedule's catch-up cap; older ones beyond the cap are
    /// skipped. Needs <see cref="Overlap.Allow"/>: under any other overlap policy the first catch-up job would block the rest.
    /// </summary>
    RunAll,

    /// <summary>Fire none of them; wait for the next occurrence.</summary>
    Skip,
}

/// <summary>What a schedule does when an occurrence comes while jobs of its earlier occurrences are still live.</summary>
public enum Overlap
{
    /// <summary>Skip the occurrence while a job of this schedule is pending or running. The default.</summary>
    Skip,

    /// <summary>
    /// Skip only while a job of this schedule is pending (not yet started): at most one waits. It does not serialize
    /// the jobs: with a free worker slot, the waiting job starts beside the running one.
    /// </summary>
    QueueOne,

    /// <summary>Always fire: jobs of one schedule may run side by side.</summary>
    Allow,
}

/// <summary>Where a resumed schedule picks up.</summary>
public enum ResumeFrom
{
    /// <summary>At the next occurrence after now: occurrences that came while it was paused are dropped. The default.</summary>
    Now,

    /// <summary>
    /// After the last occurrence it handled: occurrences that came while it was paused count as missed, and its
    /// <see cref="Misfire"/> policy decides which fire.
    /// </summary>
    LastOccurrence,
}

/// <summary>Whether a schedule fires.</summary>
public enum RecurringJobState
{
    /// <summary>It fires at its occurrences.</summary>
    Active,

    /// <summary>Paused by <see cref="IRecurringJobs.PauseAsync"/>; it fires again after <see cref="IRecurringJobs.ResumeAsync"/>.</summary>
    Paused,

    /// <summary>
    /// It cannot be evaluated here (its time zone is missing on this machine, or its schedule no longer parses); see
    /// <see cref="RecurringJobInfo.LastError"/>. Upsert a fixed definition, or resume it once the cause is fixed.
    /// </summary>
    Broken,
}

/// <summary>Where a schedule was defined.</summary>
public enum RecurringJobSource
{
    /// <summary>Declared in code with <c>AddRecurringJob</c>; kept in step with the code each time the host starts.</summary>
    Code,

    /// <summary>Created through <see cref="IRecurringJobs.UpsertAsync"/>; only the API changes or removes it.</summary>
    Runtime,
}

/// <summary>What a schedule did with one occurrence.</summary>
public enum RecurringOutcome
{
    /// <summary>A job was enqueued for an on-time occurrence.</summary>
    Fired,

    /// <summary>A job was enqueued for a missed occurrence (see <see cref="Misfire"/>).</summary>
    CaughtUp,

    /// <summary>A job was enqueued by <see cref="IRecurringJobs.TriggerAsync"/>, outside the schedule.</summary>
    Triggered,

    /// <summary>No job: one of the schedule's earlier jobs was still live (see <see cref="Overlap"/>).</summary>
    SkippedOverlap,

    /// <summary>No job: the occurrence was missed and the misfire policy dropped it. One entry may stand for many occurrences.</summary>
    SkippedMisfire,

    /// <summary>No job: a job for this very occurrence already exists (the schedule was removed and declared again).</summary>
    AlreadyFired,

    /// <summary>The schedule could not be evaluated and was marked <see cref="RecurringJobState.Broken"/>.</summary>
    Broken,
}
