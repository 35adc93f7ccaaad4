namespace SqliteQueue.Scheduling;

/// <summary>
/// Decides which jobs a claim takes. A strategy is pure: it turns a <see cref="ClaimRequest"/> into a
/// <see cref="ClaimPlan"/> of steps, and the store runs each step as one index-backed statement, so any
/// strategy built from these steps keeps claims independent of queue depth.
/// </summary>
public interface ISchedulingStrategy
{
    /// <summary>A short name for logs and metrics.</summary>
    string Name { get; }

    /// <summary>
    /// Whether <see cref="Plan"/> needs <see cref="ClaimRequest.RunnablePriorities"/>. Listing them costs two
    /// index seeks per priority class whenever the list kept from an earlier claim may be out of date (another
    /// connection committed, a job became pending in an unlisted class, a delayed job came due, or a second
    /// passed), so strategies that do not use them leave this false.
    /// </summary>
    bool UsesPriorityClasses { get; }

    /// <summary>Plans one claim on one queue.</summary>
    /// <param name="request">The queue, the number of jobs wanted, and, if asked for, the runnable priority classes.</param>
    /// <returns>The steps; their counts should add up to at most <see cref="ClaimRequest.MaxJobs"/>.</returns>
    ClaimPlan Plan(ClaimRequest request);
}

/// <summary>The order in which one claim step takes jobs.</summary>
public enum ClaimOrder
{
    /// <summary>Oldest runnable first (by run-at time, then id).</summary>
    Fifo = 0,

    /// <summary>Newest runnable first.</summary>
    Lifo = 1,

    /// <summary>Lowest priority number first, then oldest.</summary>
    Priority = 2,
}

/// <summary>What a strategy is asked to plan.</summary>
/// <param name="Queue">The queue being claimed from.</param>
/// <param name="MaxJobs">How many jobs are wanted from this queue.</param>
/// <param name="RunnablePriorities">
/// The distinct priorities of the queue's runnable jobs, ascending, when <see cref="ISchedulingStrategy.UsesPriorityClasses"/>
/// is true; otherwise empty.
/// </param>
public readonly record struct ClaimRequest(string Queue, int MaxJobs, IReadOnlyList<int> RunnablePriorities);

/// <summary>One statement of a claim: take up to <see cref="Count"/> jobs in <see cref="Order"/>, optionally from one priority class.</summary>
/// <param name="Order">The order. With <see cref="PriorityClass"/> set, <see cref="ClaimOrder.Priority"/> means the same as FIFO.</param>
/// <param name="Count">How many jobs, at least 1.</param>
/// <param name="PriorityClass">Only jobs of this priority, or null for any.</param>
public readonly record struct ClaimStep(ClaimOrder Order, int Count, int? PriorityClass = null);

/// <summary>The steps of one claim, run in order inside one transaction.</summary>
public sealed class ClaimPlan
{
    /// <summary>Creates a plan.</summary>
    /// <param name="steps">The steps.</param>
    public ClaimPlan(IReadOnlyList<ClaimStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        foreach (var step in steps)
        {
            if (step.Count < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(steps), step.Count, "Every claim step must take at least one job.");
            }

            if (!Enum.IsDefined(step.Order))
            {
                throw new ArgumentOutOfRangeException(nameof(steps), step.Order, "Unknown claim order.");
            }
        }

        Steps = steps;
    }

    /// <summary>The steps.</summary>
    public IReadOnlyList<ClaimStep> Steps { get; }

    /// <summary>A plan that claims nothing.</summary>
    public static ClaimPlan Empty { get; } = new([]);

    /// <summary>A plan of one step.</summary>
    /// <param name="order">The order.</param>
    /// <param name="count">How many jobs.</param>
    /// <returns>The plan.</returns>
    public static ClaimPlan Of(ClaimOrder order, int count) => count < 1 ? Empty : new([new ClaimStep(order, count)]);
}
