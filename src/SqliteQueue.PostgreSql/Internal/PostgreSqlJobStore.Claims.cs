using Npgsql;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Recurring;
using SqliteQueue.Scheduling;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// Claims: the rescue of expired leases, then the strategy's plan, one statement per step, all in one transaction.
/// Claims running at once in other workers or processes skip each other's rows instead of waiting for them.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    private const string LeaseExpiredError = "The worker's lease expired before it settled the job (the worker crashed, hung or lost the store).";

    public Task<List<ClaimedJob>> ClaimAsync(ClaimArgs args, CancellationToken cancellationToken) =>
        WriteAsync(args, static async (tx, a, ct) =>
        {
            await RescueExpiredLeasesAsync(tx, ct).ConfigureAwait(false);
            var token = Random.Shared.NextInt64(1, long.MaxValue);
            var claimed = new List<ClaimedJob>(Math.Min(a.MaxJobs, 1000));
            foreach (var queue in a.Queues)
            {
                if (claimed.Count >= a.MaxJobs)
                {
                    break;
                }

                if (!a.Strategy.UsesPriorityClasses)
                {
                    await tx.Store.RunPlanAsync(tx, a, queue, [], token, claimed, ct).ConfigureAwait(false);
                    continue;
                }

                // Listed afresh for every claim: a class that ran dry since shows as a short step, and the rest is
                // drawn once more from what is runnable now, so a claim never comes back empty while a class has work.
                var classes = await RunnableClassesAsync(tx, queue, ct).ConfigureAwait(false);
                if (classes.Count > 0 && !await tx.Store.RunPlanAsync(tx, a, queue, classes, token, claimed, ct).ConfigureAwait(false))
                {
                    classes = await RunnableClassesAsync(tx, queue, ct).ConfigureAwait(false);
                    if (classes.Count > 0)
                    {
                        await tx.Store.RunPlanAsync(tx, a, queue, classes, token, claimed, ct).ConfigureAwait(false);
                    }
                }
            }

            return claimed;
        }, cancellationToken);

    /// <summary>A parked claim cannot run inside another transaction here: it never runs, and the caller claims itself.</summary>
    public ParkedClaim ParkClaim(ClaimArgs args) => new(args);

    public bool TryUnpark(ParkedClaim claim) => true;

    private static async Task RescueExpiredLeasesAsync(WriteTx tx, CancellationToken cancellationToken)
    {
        var rescue = tx.Command(PgSql.RescueExpiredLeases).With(Params.Text("error", LeaseExpiredError));
        await using (rescue.ConfigureAwait(false))
        {
            var reader = await rescue.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var queue = reader.GetString(0);
                    var state = reader.GetString(1);
                    tx.Count(queue, state, +1);
                    tx.Rescued(queue, state, reader.GetString(2));
                    if (state == States.Pending)
                    {
                        tx.MakesDue(queue);
                    }
                }
            }
        }
    }

    /// <summary>Runs one strategy plan on one queue; false when a step found fewer jobs than it asked for.</summary>
    private async Task<bool> RunPlanAsync(WriteTx tx, ClaimArgs args, string queue, IReadOnlyList<int> classes, long token, List<ClaimedJob> claimed, CancellationToken cancellationToken)
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
            await ClaimStepAsync(tx, step, count, queue, token, args, claimed, cancellationToken).ConfigureAwait(false);
            full &= claimed.Count - before == count;
        }

        return full;
    }

    private async Task ClaimStepAsync(WriteTx tx, ClaimStep step, int count, string queue, long token, ClaimArgs args, List<ClaimedJob> claimed, CancellationToken cancellationToken)
    {
        var starts = Math.Max(0, args.StartCount - claimed.Count);
        var command = tx.Command(ForStep(step)).With(
            Params.Text("queue", queue), Params.Integer("n", count), Params.Integer("starts", starts), Params.Text("owner", args.WorkerId),
            Params.Bigint("token", token), Params.Bigint("lease_ms", args.LeaseMs));
        if (step.PriorityClass is { } priority)
        {
            command.Parameters.Add(Params.Integer("priority", priority));
        }

        var rows = new List<(long Rank, ClaimedJob Job)>(count);
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var rank = reader.GetInt64(15);
                    var now = reader.GetInt64(16);

                    // RETURNING shows the row as updated: the attempt already counts this claim, unless the job is held.
                    rows.Add((rank, ReadClaimed(reader, attemptOffset: rank <= starts ? 0 : 1, token, now, now + args.LeaseMs)));
                }
            }
        }

        // RETURNING promises no order: the rank is the claim order.
        rows.Sort(static (a, b) => a.Rank.CompareTo(b.Rank));
        foreach (var (_, job) in rows)
        {
            claimed.Add(job);
        }
    }

    /// <summary>The queue's runnable priority classes, by the skip scan over the priority index.</summary>
    private static async Task<IReadOnlyList<int>> RunnableClassesAsync(WriteTx tx, string queue, CancellationToken cancellationToken)
    {
        var command = tx.Command(PgSql.PriorityClasses).With(Params.Text("queue", queue));
        var runnable = new List<int>();
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (reader.GetInt64(1) <= reader.GetInt64(2))
                    {
                        runnable.Add(reader.GetInt32(0));
                    }
                }
            }
        }

        return runnable;
    }

    /// <summary>The statement for a step: the per-class one when it names a priority class, else the one for its order.</summary>
    private static string ForStep(ClaimStep step) => ClaimEngine.ForStep(step, PgSql.ClaimInClass, PgSql.ClaimFifo, PgSql.ClaimLifo, PgSql.ClaimPriority);

    private ClaimedJob ReadClaimed(NpgsqlDataReader row, int attemptOffset, long token, long now, long until) => new(
        id: row.GetInt64(0),
        queue: row.GetString(1),
        type: row.GetString(2),
        payloadJson: row.GetString(3),
        priority: row.GetInt32(4),
        attempt: row.GetInt32(5) + attemptOffset,
        maxAttempts: row.GetInt32(6),
        timeout: row.IsDBNull(7) ? null : TimeSpan.FromMilliseconds(row.GetInt64(7)),
        createdAt: Times.FromMs(row.GetInt64(8)),
        leaseToken: token,
        leaseExpiresAt: Times.FromMs(until),
        json: Options.JsonSerializerOptions)
    {
        Recurring = row.IsDBNull(9) ? null : Occurrence(row),
        TraceParent = row.IsDBNull(12) ? null : row.GetString(12),
        TraceState = row.IsDBNull(13) ? null : row.GetString(13),
        DueAtMs = row.GetInt64(14),
        ClaimedAtMs = now,
    };

    private static RecurringOccurrenceContext Occurrence(NpgsqlDataReader row)
    {
        // A manual trigger has no occurrence: it stands for the moment it was enqueued.
        var triggered = row.IsDBNull(10);
        var missed = row.IsDBNull(11) ? 0 : row.GetInt32(11);
        return new RecurringOccurrenceContext(
            row.GetString(9), Times.FromMs(triggered ? row.GetInt64(8) : row.GetInt64(10)), missed > 0, missed, triggered);
    }
}
