namespace SqliteQueue;

/// <summary>The life-cycle state of a job. See docs/state-machine.md for the transitions.</summary>
public enum JobState
{
    /// <summary>Waiting to be claimed, possibly until its run-at time (a delayed job or a scheduled retry).</summary>
    Pending = 0,

    /// <summary>Claimed by a worker under a lease.</summary>
    Running = 1,

    /// <summary>Finished successfully. Final.</summary>
    Completed = 2,

    /// <summary>Failed permanently or ran out of attempts (dead-lettered). Final until retried by hand.</summary>
    Dead = 3,

    /// <summary>Cancelled before or while it ran. Final until retried by hand.</summary>
    Cancelled = 4,
}

/// <summary>Helpers for <see cref="JobState"/>.</summary>
public static class JobStateExtensions
{
    /// <summary>Whether the state is one a job only leaves by an explicit retry.</summary>
    /// <param name="state">The state to test.</param>
    /// <returns><see langword="true"/> for completed, dead and cancelled.</returns>
    public static bool IsFinished(this JobState state) => state is JobState.Completed or JobState.Dead or JobState.Cancelled;
}
