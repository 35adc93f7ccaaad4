using System.Diagnostics;
using System.Globalization;
using SqliteQueue.Events;
using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.Internal;

/// <summary>The writes of new jobs: each call in its <c>send</c> span, counted, and observed once committed.</summary>
internal sealed partial class QueueClient
{
    private async Task<long> InsertOneAsync(string type, string json, EnqueueOptions? options, CancellationToken cancellationToken)
    {
        // One write reads the clock once: the time the job is created at is also its run-at when it is not delayed.
        var now = store.NowMs;
        var job = Validate(type, json, options, now);
        using var send = QueueActivities.StartSend(job.Queue, job.Type, batchCount: null);
        var (traceParent, traceState) = TraceContext.Capture(send);
        if (traceParent is not null)
        {
            job = job with { TraceParent = traceParent, TraceState = traceState };
        }

        var wakes = job.RunAtMs <= now ? job.Queue : null;
        long id;
        bool created;
        try
        {
            (id, created) = await store.WriteAsync((job, now), static (s, tx, a) =>
            {
                var id = s.Insert(tx, a.job, a.now, out var created);
                return (id, created);
            }, wakes, cancellationToken, store.Events.HasObservers ? r => RaiseEnqueued(r.id, r.created, job, now) : null).ConfigureAwait(false);
        }
        catch (Exception ex) when (SendFailed(send, ex, job.Queue, 1))
        {
            throw; // Unreachable: the filter records the failure and lets the exception pass.
        }

        send?.SetTag(Tags.MessageId, id.ToString(CultureInfo.InvariantCulture));
        store.Metrics.Sent(job.Queue, 1, errorType: null);
        store.Changes.Notify();
        store.Available.Notify();
        return id;
    }

    private async Task<IReadOnlyList<long>> InsertManyAsync(List<JobInsert> jobs, long now, CancellationToken cancellationToken)
    {
        if (jobs.Count == 0)
        {
            return [];
        }

        using var send = QueueActivities.Source.HasListeners() ? StartBatchSend(jobs) : null;
        var (traceParent, traceState) = TraceContext.Capture(send);
        if (traceParent is not null)
        {
            // Every job of one call shares the call's context (see JobSql.EnqueueSixteen).
            for (var i = 0; i < jobs.Count; i++)
            {
                jobs[i] = jobs[i] with { TraceParent = traceParent, TraceState = traceState };
            }
        }

        long[] ids;
        bool[]? existing;
        try
        {
            (ids, existing) = await store.WriteAsync((jobs, now), static (s, tx, a) =>
            {
                var ids = s.InsertMany(tx, a.jobs, a.now, out var existing);
                return (ids, existing);
            }, Wakes(jobs, now), cancellationToken, store.Events.HasObservers ? r => RaiseEnqueued(r.ids, r.existing, jobs, now) : null).ConfigureAwait(false);
        }
        catch (Exception ex) when (SendFailed(send, ex, jobs))
        {
            throw; // Unreachable: the filter records the failure and lets the exception pass.
        }

        store.Metrics.Sent(jobs, errorType: null);
        store.Changes.Notify();
        store.Available.Notify();
        return ids;
    }

    // Raised as the insert commits, before a claim in the same commit is published: Enqueued comes before Started.
    private void RaiseEnqueued(long id, bool created, JobInsert job, long now)
    {
        if (created)
        {
            store.Events.Raise(new JobEvent(JobEventKind.Enqueued, id, job.Queue, job.Type, 0, Times.FromMs(now)));
        }
    }

    private void RaiseEnqueued(long[] ids, bool[]? existing, List<JobInsert> jobs, long now)
    {
        var at = Times.FromMs(now);
        for (var i = 0; i < ids.Length; i++)
        {
            if (existing is null || !existing[i])
            {
                store.Events.Raise(new JobEvent(JobEventKind.Enqueued, ids[i], jobs[i].Queue, jobs[i].Type, 0, at));
            }
        }
    }

    /// <summary>The span of a batch: named for its queue when it has one, with its type when it has one.</summary>
    private static Activity? StartBatchSend(List<JobInsert> jobs)
    {
        string? queue = jobs[0].Queue, type = jobs[0].Type;
        foreach (var job in jobs)
        {
            if (queue is not null && !string.Equals(queue, job.Queue, StringComparison.Ordinal))
            {
                queue = null;
            }

            if (type is not null && !string.Equals(type, job.Type, StringComparison.Ordinal))
            {
                type = null;
            }
        }

        return QueueActivities.StartSend(queue, type, jobs.Count);
    }

    /// <summary>Records a failed enqueue on its span and counter; false, so the exception passes on untouched.</summary>
    private bool SendFailed(Activity? send, Exception ex, string queue, int count)
    {
        var errorType = QueueActivities.ErrorTypeOf(ex);
        if (send is not null)
        {
            QueueActivities.SetError(send, errorType, ex, store.Options.Tracing.RecordExceptionMessages);
        }

        store.Metrics.Sent(queue, count, errorType);
        return false;
    }

    private bool SendFailed(Activity? send, Exception ex, List<JobInsert> jobs)
    {
        var errorType = QueueActivities.ErrorTypeOf(ex);
        if (send is not null)
        {
            QueueActivities.SetError(send, errorType, ex, store.Options.Tracing.RecordExceptionMessages);
        }

        store.Metrics.Sent(jobs, errorType);
        return false;
    }

    /// <summary>The queue a batch makes jobs due on now: one name, <see cref="JobStore.AnyQueue"/> for several, or null.</summary>
    private static string? Wakes(List<JobInsert> jobs, long now)
    {
        string? wakes = null;
        foreach (var job in jobs)
        {
            if (job.RunAtMs > now)
            {
                continue;
            }

            if (wakes is null)
            {
                wakes = job.Queue;
            }
            else if (!string.Equals(wakes, job.Queue, StringComparison.Ordinal))
            {
                return JobStore.AnyQueue;
            }
        }

        return wakes;
    }
}
