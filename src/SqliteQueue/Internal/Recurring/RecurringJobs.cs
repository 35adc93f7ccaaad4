using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SqliteQueue.Events;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Recurring;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Recurring;

/// <summary>
/// The run-time API over one store's schedules, and the sync of the schedules declared in code. Every change
/// wakes this process's scheduler; other processes notice it through the file.
/// </summary>
internal sealed class RecurringJobs(JobStore store, ILogger logger) : IRecurringJobs
{
    /// <summary>Pulsed when a schedule changed in this process, so the scheduler re-reads its next due time.</summary>
    public ChangeNotifier Changed { get; } = new();

    /// <summary>Parses and fires schedules; shared with the scheduler so a schedule is parsed once per process.</summary>
    public RecurringTick Tick { get; } = new();

    public async Task<RecurringJobInfo> UpsertAsync(RecurringJobDefinition definition, CancellationToken cancellationToken = default)
    {
        var now = store.Time.GetUtcNow();
        var (spec, schedule) = RecurringSpec.Validate(definition, store.Options.MaxPayloadLength, now, nameof(definition));
        WarnIfSuspicious(spec.Name, schedule);
        var info = await store.WriteAsync((spec, schedule), static (s, tx, a) =>
        {
            Save(s, tx, a.spec, a.schedule, RecurringWords.Runtime, s.NowMs);
            return RecurringStore.Get(s, tx.Connection!, a.spec.Name, tx)!.ToInfo();
        }, cancellationToken).ConfigureAwait(false);
        Changed.Notify();
        return info;
    }

    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        var removed = await store.WriteAsync(name, static (s, tx, n) => RecurringStore.Delete(s, tx, n), cancellationToken).ConfigureAwait(false);
        Changed.Notify();
        return removed;
    }

    public async Task<bool> PauseAsync(string name, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        var found = await store.WriteAsync(name, static (s, tx, n) =>
        {
            var row = RecurringStore.Get(s, tx.Connection!, n, tx);
            if (row is null)
            {
                return false;
            }

            if (row.State == RecurringWords.Active)
            {
                // The next run is kept: ResumeFrom.LastOccurrence picks up there.
                RecurringStore.SetState(s, tx, n, RecurringWords.Paused, row.NextRunAt, null, s.NowMs);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        Changed.Notify();
        return found;
    }

    public async Task<bool> ResumeAsync(string name, ResumeFrom from = ResumeFrom.Now, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        if (!Enum.IsDefined(from))
        {
            throw new ArgumentOutOfRangeException(nameof(from), from, $"{nameof(from)} is not a {nameof(ResumeFrom)} value.");
        }

        var found = await store.WriteAsync((name, from, Tick), static (s, tx, a) =>
        {
            var row = RecurringStore.Get(s, tx.Connection!, a.name, tx);
            if (row is null)
            {
                return false;
            }

            if (row.State == RecurringWords.Active)
            {
                return true;
            }

            RecurringSchedule schedule;
            try
            {
                schedule = a.Tick.ScheduleOf(row.Schedule, row.TimeZone, row.Name);
            }
            catch (ArgumentException ex)
            {
                throw new SqliteQueueException($"Recurring job '{a.name}' cannot be resumed: {ex.Message} Upsert a definition that can be evaluated on this machine.", ex);
            }

            var now = s.NowMs;
            var next = a.from == ResumeFrom.LastOccurrence
                ? row.NextRunAt ?? schedule.NextAfterMs(row.LastOccurrence ?? now)
                : schedule.NextAfterMs(Math.Max(now, row.LastOccurrence ?? now));
            RecurringStore.SetState(s, tx, a.name, RecurringWords.Active, next, null, now);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        Changed.Notify();
        return found;
    }

    public async Task<long?> TriggerAsync(string name, bool ignoreOverlap = false, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        var (found, id, queue, type, now) = await store.WriteAsync((name, ignoreOverlap), static (s, tx, a) =>
        {
            var row = RecurringStore.Get(s, tx.Connection!, a.name, tx);
            if (row is null)
            {
                return (false, (long?)null, "", "", 0L);
            }

            var spec = row.ToSpec();
            var now = s.NowMs;
            if (!a.ignoreOverlap && RecurringStore.Blocker(s, tx, spec.Name, spec.Overlap) is { } live)
            {
                RecurringStore.Log(s, tx, spec.Name, now, RecurringOutcome.SkippedOverlap, null, $"trigger: job {live} of this schedule is still live (overlap {spec.Overlap})", now);
                RecurringStore.TrimHistory(s, tx, spec.Name);
                return (true, null, spec.Queue, spec.Type, now);
            }

            var id = RecurringStore.InsertJob(s, tx, spec, occurrenceAt: null, missed: 0, now);
            RecurringStore.Log(s, tx, spec.Name, now, RecurringOutcome.Triggered, id, null, now);
            RecurringStore.TrimHistory(s, tx, spec.Name);
            return (true, id, spec.Queue, spec.Type, now);
        }, JobStore.AnyQueue, cancellationToken).ConfigureAwait(false);
        if (!found)
        {
            throw new KeyNotFoundException($"No recurring job is named '{name}'.");
        }

        store.Metrics.Occurrence(name, RecurringWords.Of(id is null ? RecurringOutcome.SkippedOverlap : RecurringOutcome.Triggered));
        if (id is { } job)
        {
            logger.RecurringTriggered(name, job);
            store.Changes.Notify();
            store.Available.Notify();
            if (store.Events.HasObservers)
            {
                store.Events.Raise(new JobEvent(JobEventKind.Enqueued, job, queue, type, 0, Times.FromMs(now)));
            }
        }

        return id;
    }

    public Task<RecurringJobInfo?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        return store.ReadAsync(name, static (s, c, n) => RecurringStore.Get(s, c, n)?.ToInfo(), cancellationToken);
    }

    public Task<IReadOnlyList<RecurringJobInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        store.ReadAsync(0, static (s, c, _) => (IReadOnlyList<RecurringJobInfo>)RecurringStore.List(s, c).Select(r => r.ToInfo()).ToList(), cancellationToken);

    public Task<IReadOnlyList<RecurringOccurrence>> GetHistoryAsync(string name, int limit = 50, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        Guard.InRange(limit, 1, RecurringStore.HistoryKept, nameof(limit));
        return store.ReadAsync((name, limit), static (s, c, a) =>
            (IReadOnlyList<RecurringOccurrence>)RecurringStore.History(s, c, a.name, a.limit).Select(r => r.ToOccurrence()).ToList(), cancellationToken);
    }

    /// <summary>
    /// Brings the schedules declared in code into the store in one transaction: new ones added, changed ones
    /// updated, unchanged ones untouched, and (when <paramref name="removeUndeclared"/>) code schedules no longer
    /// declared removed. Schedules created at run time are never removed here.
    /// </summary>
    public async Task SyncAsync(IReadOnlyList<RecurringJobDefinition> declared, bool removeUndeclared, CancellationToken cancellationToken)
    {
        var now = store.Time.GetUtcNow();
        var specs = new List<(RecurringSpec Spec, RecurringSchedule Schedule)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var definition in declared)
        {
            var validated = RecurringSpec.Validate(definition, store.Options.MaxPayloadLength, now, "definition");
            if (!names.Add(validated.Spec.Name))
            {
                throw new InvalidOperationException($"Recurring job '{validated.Spec.Name}' is declared twice; names must be unique.");
            }

            WarnIfSuspicious(validated.Spec.Name, validated.Schedule);
            specs.Add(validated);
        }

        var (added, changed, removed) = await store.WriteAsync((specs, names, removeUndeclared), static (s, tx, a) =>
        {
            var now = s.NowMs;
            int added = 0, changed = 0;
            foreach (var (spec, schedule) in a.specs)
            {
                switch (Save(s, tx, spec, schedule, RecurringWords.Code, now))
                {
                    case SaveResult.Added:
                        added++;
                        break;
                    case SaveResult.Changed:
                        changed++;
                        break;
                }
            }

            var removed = new List<string>();
            if (a.removeUndeclared)
            {
                foreach (var name in RecurringStore.CodeNames(s, tx).Where(n => !a.names.Contains(n)))
                {
                    RecurringStore.Delete(s, tx, name);
                    removed.Add(name);
                }
            }

            return (added, changed, removed);
        }, cancellationToken).ConfigureAwait(false);

        foreach (var name in removed)
        {
            logger.RecurringRemoved(name);
        }

        logger.RecurringSynced(added, changed, removed.Count, specs.Count - added - changed);
        Changed.Notify();
    }

    private enum SaveResult
    {
        Added,
        Changed,
        Unchanged,
    }

    /// <summary>
    /// Writes one definition. A new schedule starts at its first occurrence after now. A changed schedule or zone
    /// starts again after now or its last handled occurrence, whichever is later, so no occurrence fires twice; any
    /// other change keeps its next run. A broken schedule that is defined again is active again.
    /// </summary>
    private static SaveResult Save(JobStore s, SqliteTransaction tx, RecurringSpec spec, RecurringSchedule schedule, string source, long now)
    {
        var row = RecurringStore.Get(s, tx.Connection!, spec.Name, tx);
        if (row is null)
        {
            RecurringStore.Insert(s, tx, spec, source, schedule.NextAfterMs(now) ?? now, now);
            return SaveResult.Added;
        }

        var broken = row.State == RecurringWords.Broken;
        if (!broken && row.Source == source && row.ToSpec() == spec)
        {
            return SaveResult.Unchanged;
        }

        var next = broken || spec.TimingDiffers(row.ToSpec())
            ? schedule.NextAfterMs(Math.Max(now, row.LastOccurrence ?? now))
            : row.NextRunAt;
        var state = broken ? RecurringWords.Active : row.State;
        RecurringStore.Update(s, tx, spec, source, state, next, null, now);
        return SaveResult.Changed;
    }

    private void WarnIfSuspicious(string name, RecurringSchedule schedule)
    {
        if (schedule.Warning is { } warning)
        {
            logger.RecurringWarning(name, warning);
        }
    }
}
