using Microsoft.Extensions.Logging;
using SqliteQueue.Events;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Storage.Recurring;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Recurring;

/// <summary>
/// The run-time API over one store's schedules, and the sync of the schedules declared in code. Every change
/// wakes this process's scheduler; other processes notice it through the file.
/// </summary>
internal sealed class RecurringJobs(IRecurringStore store, ILogger logger) : IRecurringJobs
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
        var info = await store.RecurringWriteAsync((spec, schedule), static (w, a) =>
        {
            Save(w, a.spec, a.schedule, RecurringWords.Runtime, w.NowMs);
            return w.Get(a.spec.Name)!.ToInfo();
        }, makesWorkDue: false, cancellationToken).ConfigureAwait(false);
        Changed.Notify();
        return info;
    }

    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        var removed = await store.RecurringWriteAsync(name, static (w, n) => w.Delete(n), makesWorkDue: false, cancellationToken).ConfigureAwait(false);
        Changed.Notify();
        return removed;
    }

    public async Task<bool> PauseAsync(string name, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        var found = await store.RecurringWriteAsync(name, static (w, n) =>
        {
            var row = w.Get(n);
            if (row is null)
            {
                return false;
            }

            if (row.State == RecurringWords.Active)
            {
                // The next run is kept: ResumeFrom.LastOccurrence picks up there.
                w.SetState(n, RecurringWords.Paused, row.NextRunAt, null, w.NowMs);
            }

            return true;
        }, makesWorkDue: false, cancellationToken).ConfigureAwait(false);
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

        var found = await store.RecurringWriteAsync((name, from, Tick), static (w, a) =>
        {
            var row = w.Get(a.name);
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

            var now = w.NowMs;
            var next = a.from == ResumeFrom.LastOccurrence
                ? row.NextRunAt ?? schedule.NextAfterMs(row.LastOccurrence ?? now)
                : schedule.NextAfterMs(Math.Max(now, row.LastOccurrence ?? now));
            w.SetState(a.name, RecurringWords.Active, next, null, now);
            return true;
        }, makesWorkDue: false, cancellationToken).ConfigureAwait(false);
        Changed.Notify();
        return found;
    }

    public async Task<long?> TriggerAsync(string name, bool ignoreOverlap = false, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        var (found, id, queue, type, now) = await store.RecurringWriteAsync((name, ignoreOverlap), static (w, a) =>
        {
            var row = w.Get(a.name);
            if (row is null)
            {
                return (false, (long?)null, "", "", 0L);
            }

            var spec = row.ToSpec();
            var now = w.NowMs;
            if (!a.ignoreOverlap && w.Blocker(spec.Name, spec.Overlap) is { } live)
            {
                w.Log(spec.Name, now, RecurringOutcome.SkippedOverlap, null, $"trigger: job {live} of this schedule is still live (overlap {spec.Overlap})", now);
                w.TrimHistory(spec.Name);
                return (true, null, spec.Queue, spec.Type, now);
            }

            var id = w.InsertJob(spec, occurrenceAt: null, missed: 0, now);
            w.Log(spec.Name, now, RecurringOutcome.Triggered, id, null, now);
            w.TrimHistory(spec.Name);
            return (true, id, spec.Queue, spec.Type, now);
        }, makesWorkDue: true, cancellationToken).ConfigureAwait(false);
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
        return store.RecurringReadAsync(name, static (r, n) => r.Get(n)?.ToInfo(), cancellationToken);
    }

    public Task<IReadOnlyList<RecurringJobInfo>> ListAsync(CancellationToken cancellationToken = default) =>
        store.RecurringReadAsync(0, static (r, _) => (IReadOnlyList<RecurringJobInfo>)r.List().Select(r => r.ToInfo()).ToList(), cancellationToken);

    public Task<IReadOnlyList<RecurringOccurrence>> GetHistoryAsync(string name, int limit = 50, CancellationToken cancellationToken = default)
    {
        Guard.Name(name, "recurring job name", nameof(name));
        Guard.InRange(limit, 1, IRecurringStore.HistoryKept, nameof(limit));
        return store.RecurringReadAsync((name, limit), static (r, a) =>
            (IReadOnlyList<RecurringOccurrence>)r.History(a.name, a.limit).Select(r => r.ToOccurrence()).ToList(), cancellationToken);
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

        var (added, changed, removed) = await store.RecurringWriteAsync((specs, names, removeUndeclared), static (w, a) =>
        {
            var now = w.NowMs;
            int added = 0, changed = 0;
            foreach (var (spec, schedule) in a.specs)
            {
                switch (Save(w, spec, schedule, RecurringWords.Code, now))
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
                foreach (var name in w.CodeNames().Where(n => !a.names.Contains(n)))
                {
                    w.Delete(name);
                    removed.Add(name);
                }
            }

            return (added, changed, removed);
        }, makesWorkDue: false, cancellationToken).ConfigureAwait(false);

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
    private static SaveResult Save(IRecurringWrites w, RecurringSpec spec, RecurringSchedule schedule, string source, long now)
    {
        var row = w.Get(spec.Name);
        if (row is null)
        {
            w.Insert(spec, source, schedule.NextAfterMs(now) ?? now, now);
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
        w.Update(spec, source, state, next, null, now);
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
