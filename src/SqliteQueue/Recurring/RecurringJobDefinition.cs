namespace SqliteQueue.Recurring;

/// <summary>
/// A schedule and the job it enqueues at each occurrence. Declare one in code with
/// <see cref="SqliteQueueBuilder.AddRecurringJob"/>, or create one at run time with <see cref="IRecurringJobs.UpsertAsync"/>.
/// </summary>
public sealed class RecurringJobDefinition
{
    /// <summary>Creates a definition; everything else has a default.</summary>
    /// <param name="name">The schedule's stable name, its key in the store: 1 to 200 characters, at least one visible, no control characters.</param>
    /// <param name="jobType">The job type each occurrence enqueues, routed to its handler.</param>
    /// <param name="schedule">
    /// A cron expression (5 fields, or 6 with seconds first, or a macro such as <c>@daily</c>) or an interval such as
    /// <c>every 30 minutes</c> or <c>every 1 day at 09:00</c>; see <see cref="RecurringSchedule.Parse(string, string)"/>.
    /// </param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public RecurringJobDefinition(string name, string jobType, string schedule)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(jobType);
        ArgumentNullException.ThrowIfNull(schedule);
        Name = name;
        JobType = jobType;
        Schedule = schedule;
    }

    /// <summary>The schedule's stable name.</summary>
    public string Name { get; }

    /// <summary>The job type each occurrence enqueues.</summary>
    public string JobType { get; }

    /// <summary>The schedule text, cron or interval.</summary>
    public string Schedule { get; }

    /// <summary>The time zone the schedule is read in, by IANA or Windows id.</summary>
    /// <value>The default is <c>"UTC"</c>.</value>
    public string TimeZone { get; init; } = "UTC";

    /// <summary>The payload every job gets, as JSON text.</summary>
    /// <value>The default is <c>{}</c>.</value>
    public string PayloadJson { get; init; } = "{}";

    /// <summary>The queue the jobs go to.</summary>
    /// <value>The default is <c>"default"</c>.</value>
    public string Queue { get; init; } = QueueNames.Default;

    /// <summary>The jobs' priority, lower runs first under the priority strategy.</summary>
    /// <value>The default is 0.</value>
    public int Priority { get; init; }

    /// <summary>The attempts each job is allowed, from 1 to 1000.</summary>
    /// <value>The default is null: the store's <see cref="SqliteQueueOptions.DefaultMaxAttempts"/>.</value>
    public int? MaxAttempts { get; init; }

    /// <summary>Each attempt's time limit, greater than zero and at most 7 days.</summary>
    /// <value>The default is null: no limit.</value>
    public TimeSpan? Timeout { get; init; }

    /// <summary>What to do with occurrences missed by more than <see cref="MisfireGrace"/>.</summary>
    /// <value>The default is <see cref="Recurring.Misfire.RunOnce"/>.</value>
    public Misfire Misfire { get; init; } = Misfire.RunOnce;

    /// <summary>How late an occurrence may be handled and still count as on time, from zero to 7 days.</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan MisfireGrace { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Under <see cref="Recurring.Misfire.RunAll"/>, the most missed occurrences fired at once, from 1 to 10,000.</summary>
    /// <value>The default is 100.</value>
    public int MaxCatchUp { get; init; } = 100;

    /// <summary>What to do with an occurrence while the schedule's earlier jobs are live.</summary>
    /// <value>The default is <see cref="Recurring.Overlap.Skip"/>.</value>
    public Overlap Overlap { get; init; } = Overlap.Skip;
}
