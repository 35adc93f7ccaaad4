using Microsoft.Data.Sqlite;
using SqliteQueue.Recurring;
using Microsoft.Extensions.Logging;
using SqliteQueue.Scheduling;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// What one claim asks for. The first <c>StartCount</c> jobs claimed start at once (their attempt counts now); the
/// rest are held in the worker's buffer until <see cref="JobStore.StartHeld"/>.
/// </summary>
internal sealed record ClaimArgs(string WorkerId, IReadOnlyList<string> Queues, ISchedulingStrategy Strategy, long LeaseMs, int MaxJobs, int StartCount = int.MaxValue);

/// <summary>What became of a held job asked to start.</summary>
internal enum HeldStart
{
    Started,
    CancellationRequested,
    LeaseLost,
}

/// <summary>
/// Claims for the store's writer, inside its transactions: the strategy's plan run as index-backed statements, the
/// priority classes a WeightedRandom claim draws from (kept between claims while they cannot be out of date), the
/// rescue of expired leases, and the start of held jobs. Touched only by the writer, under its gate.
/// </summary>
internal sealed class ClaimEngine(JobStore store, ILogger logger)
{
    private const string LeaseExpiredError = "The worker's lease expired before it settled the job (the worker crashed, hung or lost the store).";

    // Kept runnable priority classes per queue (see RunnableClasses). Any write that can make a job pending without
    // saying where clears them; the lifetime bounds what a missed case could cost.
    private const long PriorityClassesLifetimeMs = 1000;

    private readonly JobStore _store = store;
    private readonly ILogger _logger = logger;
    private readonly Dictionary<string, PriorityClassList> _priorityClasses = new(StringComparer.Ordinal);

    // Jobs rescued by the transaction being written (queue, state after, type); logged and counted after its commit,
    // dropped with a rollback.
    private readonly List<(string Queue, string State, string Type)> _rescued = [];

    /// <summary>
    /// Claims up to <see cref="ClaimArgs.MaxJobs"/> jobs on the worker's queues as its strategy plans, after
    /// rescuing expired leases, all inside the caller's transaction.
    /// </summary>
    public List<ClaimedJob> Claim(SqliteTransaction tx, ClaimArgs args)
    {
        var now = _store.NowMs;
        RescueExpiredLeases(tx, now);

        var token = Random.Shared.NextInt64(1, long.MaxValue);
        var until = now + args.LeaseMs;
        var claimed = new List<ClaimedJob>(args.MaxJobs);
        foreach (var queue in args.Queues)
        {
            if (claimed.Count >= args.MaxJobs)
            {
                break;
            }

            if (!args.Strategy.UsesPriorityClasses)
            {
                RunPlan(tx, args, queue, [], now, token, until, claimed);
                continue;
            }

            var classes = RunnableClasses(tx, queue, now, out var listedNow);
            if (classes.Count == 0 || RunPlan(tx, args, queue, classes, now, token, until, claimed))
            {
                continue;
            }

            // A step came up short: its class had fewer runnable jobs than drawn. The next claim lists the classes
            // again; when this one drew from a kept list, the class may have run out since, so the rest is drawn
            // from what is runnable now, and a claim never comes back empty while another class has work.
            _priorityClasses.Remove(queue);
            if (!listedNow)
            {
                classes = RunnableClasses(tx, queue, now, out _);
                if (classes.Count > 0 && !RunPlan(tx, args, queue, classes, now, token, until, claimed))
                {
                    _priorityClasses.Remove(queue);
                }
            }
        }

        return claimed;
    }

    /// <summary>
    /// Expired leases are found by one index seek inside each claim, so a crashed worker's jobs come back
    /// without a separate reaper. The count is logged once the transaction has committed.
    /// </summary>
    public int RescueExpiredLeases(SqliteTransaction tx, long now)
    {
        var probe = _store.Raw(JobSql.AnyLeaseExpired, tx);
        probe.Set("@now", now);
        if (probe.ExecuteScalarInt64() is null or 0)
        {
            return 0;
        }

        var executions = _store.Raw(JobSql.RescueExpiredExecutions, tx);
        executions.Set("@now", now);
        executions.Set("@error", LeaseExpiredError);
        executions.ExecuteNonQuery();
        var rescue = _store.Raw(JobSql.RescueExpiredLeases, tx);
        rescue.Set("@now", now);
        rescue.Set("@error", LeaseExpiredError);
        var rescued = 0;
        try
        {
            rescue.Start();
            while (rescue.Read())
            {
                var queue = rescue.Text(0);
                var state = rescue.Text(1);
                _store.Counts.Add(queue, state, +1);
                _rescued.Add((queue, state, rescue.Text(2)));
                rescued++;
            }
        }
        finally
        {
            rescue.Finish();
        }

        _priorityClasses.Clear();
        return rescued;
    }

    /// <summary>Counts the attempt of a held job whose handler is about to run; see <see cref="JobSql.StartHeldJob"/>.</summary>
    public HeldStart StartHeld(SqliteTransaction tx, long id, long token, long now)
    {
        var command = _store.Raw(JobSql.StartHeldJob, tx);
        command.Set("@id", id);
        command.Set("@token", token);
        command.Set("@now", now);
        return command.ExecuteScalarInt64() switch
        {
            null => HeldStart.LeaseLost,
            0 => HeldStart.Started,
            _ => HeldStart.CancellationRequested,
        };
    }

    /// <summary>Runs one strategy plan on one queue; false when a step found fewer jobs than it asked for.</summary>
    private bool RunPlan(SqliteTransaction tx, ClaimArgs args, string queue, IReadOnlyList<int> classes, long now, long token, long until, List<ClaimedJob> claimed)
    {
        var plan = args.Strategy.Plan(new ClaimRequest(queue, args.MaxJobs - claimed.Count, classes))
            ?? throw new InvalidOperationException($"The scheduling strategy '{args.Strategy.Name}' ({args.Strategy.GetType().Name}) returned no plan; return ClaimPlan.Empty to claim nothing.");
        var full = true;
        foreach (var step in plan.Steps)
        {
            var count = Math.Min(step.Count, args.MaxJobs - claimed.Count);
            if (count <= 0)
            {
                break;
            }

            var before = claimed.Count;
            if (count == 1)
            {
                ClaimOne(tx, step, queue, now, token, until, args, claimed);
            }
            else
            {
                ClaimMany(tx, step, count, queue, now, token, until, args, claimed);
            }

            full &= claimed.Count - before == count;
        }

        return full;
    }

    /// <summary>
    /// The queue's runnable priority classes, from the list kept since the last skip scan while nothing can have
    /// added one: no other connection has committed (<c>PRAGMA data_version</c> on the writer), no write of this
    /// store has made a job pending in an unlisted class, and no listed job has come due. Listing them costs two
    /// seeks per class, more than the claim itself, so a WeightedRandom worker would otherwise pay it twice per job.
    /// A kept list may still name a class that has run dry; the claim notices the short step and lists again.
    /// </summary>
    private IReadOnlyList<int> RunnableClasses(SqliteTransaction tx, string queue, long now, out bool listedNow)
    {
        var version = _store.Raw(JobSql.DataVersion, tx).ExecuteScalarInt64() ?? 0;
        if (_priorityClasses.TryGetValue(queue, out var kept) && kept.DataVersion == version && now >= kept.ListedAt && now < kept.ValidUntil)
        {
            listedNow = false;
            return kept.Runnable;
        }

        var command = _store.Raw(JobSql.PriorityClasses, tx);
        command.Set("@queue", queue);
        var runnable = new List<int>();
        var validUntil = now + PriorityClassesLifetimeMs;
        try
        {
            command.Start();
            while (command.Read())
            {
                var firstRunAt = command.Int64(1);
                if (firstRunAt <= now)
                {
                    runnable.Add(command.Int32(0));
                }
                else
                {
                    validUntil = Math.Min(validUntil, firstRunAt);
                }
            }
        }
        finally
        {
            command.Finish();
        }

        var list = new PriorityClassList(runnable.AsReadOnly(), version, now, validUntil);
        _priorityClasses[queue] = list;
        listedNow = true;
        return list.Runnable;
    }

    /// <summary>A job became pending through this store's writer: the kept class list of its queue may lack its class.</summary>
    public void NotePending(string queue, int priority, long runAtMs)
    {
        if (!_priorityClasses.TryGetValue(queue, out var kept))
        {
            return;
        }

        if (runAtMs > kept.ListedAt)
        {
            // Not runnable when listed: the list holds until the job comes due, whatever its class.
            _priorityClasses[queue] = kept with { ValidUntil = Math.Min(kept.ValidUntil, runAtMs) };
        }
        else if (!kept.Runnable.Contains(priority))
        {
            _priorityClasses.Remove(queue);
        }
    }

    /// <summary>Drops every kept class list: a write made jobs pending without saying where, or was undone.</summary>
    public void ForgetClasses() => _priorityClasses.Clear();

    /// <summary>The transaction committed: what it rescued is now true, and is logged and counted.</summary>
    public void Committed()
    {
        if (_rescued.Count > 0)
        {
            _logger.LeasesRescued(_rescued.Count);
            var metrics = _store.Metrics;
            foreach (var (queue, state, type) in _rescued)
            {
                metrics.LeaseExpired(queue, type);
                if (state == States.Dead)
                {
                    metrics.Dead(queue, type);
                }
            }

            _rescued.Clear();
        }
    }

    /// <summary>The transaction was rolled back: its rescues never happened, and class lists taken inside it may show its writes.</summary>
    public void RolledBack()
    {
        _priorityClasses.Clear();
        _rescued.Clear();
    }

    /// <summary>A mark to roll one group-committed item back to, with <see cref="RolledBackTo"/>.</summary>
    public int Mark => _rescued.Count;

    /// <summary>One item of the transaction was rolled back to its savepoint.</summary>
    public void RolledBackTo(int mark)
    {
        _priorityClasses.Clear();
        _rescued.RemoveRange(mark, _rescued.Count - mark);
    }

    private void ClaimOne(SqliteTransaction tx, ClaimStep step, string queue, long now, long token, long until, ClaimArgs args, List<ClaimedJob> claimed)
    {
        var start = claimed.Count < args.StartCount;
        var command = _store.Raw(ForStep(step, JobSql.ClaimOneInClass, JobSql.ClaimOneFifo, JobSql.ClaimOneLifo, JobSql.ClaimOnePriority), tx);
        command.Set("@queue", queue);
        command.Set("@now", now);
        command.Set("@start", start ? 1 : 0);
        command.Set("@owner", args.WorkerId);
        command.Set("@token", token);
        command.Set("@until", until);
        if (step.PriorityClass is { } priority)
        {
            command.Set("@priority", priority);
        }

        try
        {
            command.Start();
            if (command.Read())
            {
                // RETURNING shows the row as updated: the attempt already counts this claim, unless the job is held.
                claimed.Add(ReadClaimed(command, attemptOffset: start ? 0 : 1, token, now, until));
            }
        }
        finally
        {
            command.Finish();
        }
    }

    /// <summary>Reads the step's rows in claim order, then takes each by id (the transaction holds the write lock throughout).</summary>
    private void ClaimMany(SqliteTransaction tx, ClaimStep step, int count, string queue, long now, long token, long until, ClaimArgs args, List<ClaimedJob> claimed)
    {
        var select = _store.Raw(ForStep(step, JobSql.PendingInClass, JobSql.PendingFifo, JobSql.PendingLifo, JobSql.PendingPriority), tx);
        select.Set("@queue", queue);
        select.Set("@now", now);
        select.Set("@limit", count);
        if (step.PriorityClass is { } priority)
        {
            select.Set("@priority", priority);
        }

        var first = claimed.Count;
        try
        {
            select.Start();
            while (select.Read())
            {
                claimed.Add(ReadClaimed(select, attemptOffset: 1, token, now, until));
            }
        }
        finally
        {
            select.Finish();
        }

        var take = _store.Raw(JobSql.ClaimById, tx);
        take.Set("@owner", args.WorkerId);
        take.Set("@token", token);
        take.Set("@until", until);
        take.Set("@now", now);
        var id = take.Slot("@id");
        var start = take.Slot("@start");
        for (var i = first; i < claimed.Count; i++)
        {
            take.Set(id, claimed[i].Id);
            take.Set(start, i < args.StartCount ? 1 : 0);
            if (take.ExecuteNonQuery() != 1)
            {
                throw new InvalidOperationException($"Job {claimed[i].Id} was read as pending but could not be claimed.");
            }
        }
    }

    /// <summary>The statement for a step: the per-class one when it names a priority class, else the one for its order.</summary>
    internal static string ForStep(ClaimStep step, string inClass, string fifo, string lifo, string priority) =>
        step.PriorityClass is not null ? inClass : step.Order switch
        {
            ClaimOrder.Fifo => fifo,
            ClaimOrder.Lifo => lifo,
            ClaimOrder.Priority => priority,
            _ => throw new ArgumentOutOfRangeException(nameof(step), step.Order, "Unknown claim order."),
        };

    private ClaimedJob ReadClaimed(RawCommand row, int attemptOffset, long token, long now, long until) => new(
        id: row.Int64(0),
        queue: row.Text(1),
        type: row.Text(2),
        payloadJson: row.Text(3),
        priority: row.Int32(4),
        attempt: row.Int32(5) + attemptOffset,
        maxAttempts: row.Int32(6),
        timeout: row.IsNull(7) ? null : TimeSpan.FromMilliseconds(row.Int64(7)),
        createdAt: Times.FromMs(row.Int64(8)),
        leaseToken: token,
        leaseExpiresAt: Times.FromMs(until),
        json: _store.Options.JsonSerializerOptions)
    {
        Recurring = row.IsNull(9) ? null : Occurrence(row),
        TraceParent = row.IsNull(12) ? null : row.Text(12),
        TraceState = row.IsNull(13) ? null : row.Text(13),
        DueAtMs = row.Int64(14),
        ClaimedAtMs = now,
    };

    private static RecurringOccurrenceContext Occurrence(RawCommand row)
    {
        // A manual trigger has no occurrence: it stands for the moment it was enqueued.
        var triggered = row.IsNull(10);
        var missed = row.IsNull(11) ? 0 : row.Int64(11);
        return new RecurringOccurrenceContext(
            row.Text(9), Times.FromMs(triggered ? row.Int64(8) : row.Int64(10)), missed > 0, (int)Math.Min(missed, int.MaxValue), triggered);
    }
}
