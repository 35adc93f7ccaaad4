using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Recurring;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Recurring;

/// <summary>Something the tick did, logged once its transaction has committed; a job it enqueued carries its queue and type.</summary>
internal readonly record struct TickEvent(
    string Name, long OccurrenceAt, RecurringOutcome Outcome, long? JobId, long Missed, string? Detail, string? Queue = null, string? Type = null);

/// <summary>What one tick did.</summary>
internal sealed class TickResult
{
    public List<TickEvent> Events { get; } = [];

    public HashSet<string> Queues { get; } = new(StringComparer.Ordinal);

    /// <summary>The time the tick wrote its jobs with (their creation time), in Unix milliseconds.</summary>
    public long At { get; set; }

    /// <summary>Whether more schedules were due than one tick takes: run another at once.</summary>
    public bool MoreDue { get; set; }
}

/// <summary>
/// Fires the due occurrences of every schedule, in one write transaction: whichever process gets there first does
/// it, and advancing each schedule's next run in the same transaction as its jobs are inserted is what makes an
/// occurrence fire once, with no leader. The policies are applied by <see cref="OccurrencePlanner"/> and the
/// statements run by the store (<see cref="IRecurringWrites"/>).
/// </summary>
internal sealed class RecurringTick
{
    /// <summary>Schedules handled per transaction, so one tick never holds the write lock for long.</summary>
    public const int BatchSize = 64;

    private readonly ConcurrentDictionary<(string Schedule, string Zone, string Name), RecurringSchedule> _schedules = new();

    /// <summary>The parsed schedule of a row, parsed once per process.</summary>
    public RecurringSchedule ScheduleOf(string schedule, string zone, string name)
    {
        if (_schedules.TryGetValue((schedule, zone, name), out var parsed))
        {
            return parsed;
        }

        if (_schedules.Count > 10_000)
        {
            _schedules.Clear();
        }

        parsed = RecurringSchedule.Parse(schedule, zone, jitterSeed: name);
        _schedules[(schedule, zone, name)] = parsed;
        return parsed;
    }

    public TickResult Run(IRecurringWrites store)
    {
        var now = store.NowMs;
        var result = new TickResult { At = now };
        var rows = store.Due(now, BatchSize);
        foreach (var row in rows)
        {
            Fire(store, row, now, result);
        }

        result.MoreDue = rows.Count == BatchSize;
        return result;
    }

    private void Fire(IRecurringWrites store, RecurringRow row, long now, TickResult result)
    {
        var spec = row.ToSpec();
        var seen = row.NextRunAt!.Value;
        OccurrencePlan plan;
        try
        {
            var schedule = ScheduleOf(spec.Schedule, spec.TimeZone, spec.Name);
            plan = OccurrencePlanner.Plan(schedule.NextAfterMs, seen, now, spec.Misfire, spec.MisfireGraceMs, spec.MaxCatchUp);
        }
        catch (Exception ex) when (ex is not DbException and not OutOfMemoryException)
        {
            // A zone missing on this machine, or a schedule this version no longer reads: say so and stop it,
            // rather than fail every tick or drop it silently.
            var error = ex.Message;
            store.SetState(spec.Name, RecurringWords.Broken, null, error, now);
            store.Log(spec.Name, seen, RecurringOutcome.Broken, null, error, now);
            store.TrimHistory(spec.Name);
            result.Events.Add(new TickEvent(spec.Name, seen, RecurringOutcome.Broken, null, 0, error));
            return;
        }

        if (plan.Skipped > 0)
        {
            var detail = SkippedDetail(plan, spec);
            store.Log(spec.Name, plan.FirstSkipped, RecurringOutcome.SkippedMisfire, null, detail, now);
            result.Events.Add(new TickEvent(spec.Name, plan.FirstSkipped ?? seen, RecurringOutcome.SkippedMisfire, null, plan.Skipped, detail));
        }

        var fired = 0;
        long? lastJob = null;
        foreach (var fire in plan.Fires)
        {
            if (store.Blocker(spec.Name, spec.Overlap) is { } live)
            {
                var reason = string.Create(CultureInfo.InvariantCulture, $"job {live} of this schedule is still {(spec.Overlap == Overlap.QueueOne ? "pending" : "pending or running")} (overlap {spec.Overlap})");
                store.Log(spec.Name, fire.OccurrenceAt, RecurringOutcome.SkippedOverlap, null, reason, now);
                result.Events.Add(new TickEvent(spec.Name, fire.OccurrenceAt, RecurringOutcome.SkippedOverlap, null, fire.Missed, reason));
                continue;
            }

            var id = store.InsertJob(spec, fire.OccurrenceAt, fire.Missed, now);
            var outcome = id is null ? RecurringOutcome.AlreadyFired : fire.Missed > 0 ? RecurringOutcome.CaughtUp : RecurringOutcome.Fired;
            var note = fire.Missed > 1
                ? string.Create(CultureInfo.InvariantCulture, $"one job for {fire.Missed} missed occurrences (misfire {spec.Misfire})")
                : id is null ? "a job for this occurrence already exists" : null;
            store.Log(spec.Name, fire.OccurrenceAt, outcome, id, note, now);
            result.Events.Add(new TickEvent(spec.Name, fire.OccurrenceAt, outcome, id, fire.Missed, note, spec.Queue, spec.Type));
            if (id is not null)
            {
                fired++;
                lastJob = id;
                result.Queues.Add(spec.Queue);
            }
        }

        store.TrimHistory(spec.Name);
        if (!store.Advance(spec.Name, seen, plan.Next, plan.Last, lastJob, fired, now))
        {
            // Unreachable while the row is read in this same transaction; if it ever happens, undo this tick's jobs.
            throw new InvalidOperationException($"Recurring job '{spec.Name}' moved on while its occurrences were being fired; the tick is rolled back.");
        }
    }

    private static string SkippedDetail(OccurrencePlan plan, RecurringSpec spec) => string.Create(
        CultureInfo.InvariantCulture,
        $"{(plan.SkippedIsLowerBound ? "at least " : "")}{plan.Skipped} occurrence(s) from {Times.FromMs(plan.FirstSkipped ?? 0):O} to {Times.FromMs(plan.LastSkipped ?? 0):O} were not fired: misfire {spec.Misfire} with a grace period of {TimeSpan.FromMilliseconds(spec.MisfireGraceMs)} and at most {spec.MaxCatchUp} jobs per tick");
}
