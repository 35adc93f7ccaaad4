namespace SqliteQueue.Scheduling;

/// <summary>The built-in strategies.</summary>
public static class SchedulingStrategies
{
    /// <summary>Oldest runnable job first.</summary>
    public static ISchedulingStrategy Fifo { get; } = new OrderedStrategy("fifo", ClaimOrder.Fifo);

    /// <summary>Newest runnable job first.</summary>
    public static ISchedulingStrategy Lifo { get; } = new OrderedStrategy("lifo", ClaimOrder.Lifo);

    /// <summary>Lowest priority number first, oldest first within a priority. Low-priority jobs wait while higher ones keep coming.</summary>
    public static ISchedulingStrategy Priority { get; } = new OrderedStrategy("priority", ClaimOrder.Priority);

    /// <summary>
    /// A priority class drawn at random for each job claimed, in proportion to its weight, so no class starves.
    /// The default weight of priority <c>p</c> is <c>1 / (1 + max(p, 0))</c>: priority 0 gets twice the share of priority 1.
    /// Create a <see cref="WeightedRandomStrategy"/> to set weights.
    /// </summary>
    public static ISchedulingStrategy WeightedRandom { get; } = new WeightedRandomStrategy();

    private sealed class OrderedStrategy(string name, ClaimOrder order) : ISchedulingStrategy
    {
        public string Name => name;

        public bool UsesPriorityClasses => false;

        public ClaimPlan Plan(ClaimRequest request) => ClaimPlan.Of(order, request.MaxJobs);
    }
}
