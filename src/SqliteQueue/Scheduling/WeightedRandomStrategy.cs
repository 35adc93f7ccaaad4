using SqliteQueue.Internal;

namespace SqliteQueue.Scheduling;

/// <summary>
/// Draws a priority class for each job claimed, with probability proportional to the class's weight among the
/// classes that have runnable jobs, and takes the oldest job of that class. Every class with a positive weight
/// is served, so none starves.
/// </summary>
public sealed class WeightedRandomStrategy : ISchedulingStrategy
{
    private readonly Func<int, double> _weightOf;
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    /// <summary>Creates the strategy.</summary>
    /// <param name="weightOf">
    /// The weight of a priority class; finite and greater than zero. The default is <c>p =&gt; 1.0 / (1 + Math.Max(p, 0))</c>.
    /// It is called for every runnable class on every claim; a claim that gets a bad weight throws <see cref="InvalidOperationException"/>.
    /// </param>
    /// <param name="random">The random source; pass a seeded one for repeatable draws. The default is a new unseeded one.</param>
    public WeightedRandomStrategy(Func<int, double>? weightOf = null, Random? random = null)
    {
        _weightOf = weightOf ?? DefaultWeight;
        _random = random ?? new Random();
    }

    /// <summary>Creates the strategy from a table of weights.</summary>
    /// <param name="weights">Weight per priority class; each finite and greater than zero.</param>
    /// <param name="defaultWeight">The weight of classes not in <paramref name="weights"/>; finite and greater than zero.</param>
    /// <param name="random">The random source; pass a seeded one for repeatable draws.</param>
    public WeightedRandomStrategy(IReadOnlyDictionary<int, double> weights, double defaultWeight = 1.0, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        CheckWeight(defaultWeight, nameof(defaultWeight));
        foreach (var (priority, weight) in weights)
        {
            CheckWeight(weight, $"{nameof(weights)}[{priority}]");
        }

        var copy = new Dictionary<int, double>(weights);
        _weightOf = p => copy.TryGetValue(p, out var w) ? w : defaultWeight;
        _random = random ?? new Random();
    }

    /// <inheritdoc />
    public string Name => "weighted-random";

    /// <inheritdoc />
    public bool UsesPriorityClasses => true;

    /// <inheritdoc />
    public ClaimPlan Plan(ClaimRequest request)
    {
        var classes = request.RunnablePriorities;
        if (classes.Count == 0 || request.MaxJobs < 1)
        {
            return ClaimPlan.Empty;
        }

        if (classes.Count == 1)
        {
            // Not needed for the draw, but checked: a bad weight function fails the first claim, not the first
            // claim that happens to find two classes runnable.
            _ = WeightOf(classes[0]);
            return new ClaimPlan([new ClaimStep(ClaimOrder.Fifo, request.MaxJobs, classes[0])]);
        }

        Span<double> cumulative = classes.Count <= 64 ? stackalloc double[classes.Count] : new double[classes.Count];
        var total = 0.0;
        for (var i = 0; i < classes.Count; i++)
        {
            var weight = WeightOf(classes[i]);
            total += weight;
            cumulative[i] = total;
        }

        Span<int> counts = classes.Count <= 64 ? stackalloc int[classes.Count] : new int[classes.Count];
        lock (_randomLock)
        {
            for (var n = 0; n < request.MaxJobs; n++)
            {
                var x = _random.NextDouble() * total;
                var pick = 0;
                while (pick < classes.Count - 1 && x >= cumulative[pick])
                {
                    pick++;
                }

                counts[pick]++;
            }
        }

        // A class drawn more often than it has jobs leaves slots empty; the worker simply claims again.
        var steps = new List<ClaimStep>();
        for (var i = 0; i < classes.Count; i++)
        {
            if (counts[i] > 0)
            {
                steps.Add(new ClaimStep(ClaimOrder.Fifo, counts[i], classes[i]));
            }
        }

        return new ClaimPlan(steps);
    }

    /// <summary>The weight of a listed class, refused with a message naming this strategy, the class and the weight.</summary>
    private double WeightOf(int priority)
    {
        var weight = _weightOf(priority);
        if (!double.IsFinite(weight) || weight <= 0)
        {
            throw new InvalidOperationException(Errors.InvalidWeight(Name, priority, weight));
        }

        return weight;
    }

    private static double DefaultWeight(int priority) => 1.0 / (1 + Math.Max(priority, 0));

    private static void CheckWeight(double weight, string name)
    {
        if (!double.IsFinite(weight) || weight <= 0)
        {
            throw new ArgumentOutOfRangeException(name, weight, "A weight must be finite and greater than zero.");
        }
    }
}
