using System.Diagnostics;
using System.Globalization;
using System.Text;
using SqliteQueue.Events;
using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal;

/// <summary>The writes of new jobs: each call in its <c>send</c> span, counted, and observed once committed.</summary>
internal sealed partial class QueueClient
{
    /// <summary>
    /// One job. With the writer free, no listener on the queue's traces and the call not cancelled, it is written at
    /// once on this thread, alone in its transaction (<see cref="IJobStore.TryInsertNow"/>), and the call returns a
    /// completed task; otherwise it joins the next group commit. The payload is <paramref name="json"/>, or the UTF-8 JSON
    /// in <paramref name="utf8"/>, which is read before this returns and not after.
    /// </summary>
    private Task<long> InsertOne(string type, string? json, Utf8Payload? utf8, EnqueueOptions? options, CancellationToken cancellationToken)
    {
        // One write reads the clock once: the time the job is created at is also its run-at when it is not delayed.
        long now;
        JobInsert job;
        try
        {
            now = store.NowMs;
            job = Validate(type, json ?? "", options, now);
        }
        catch (Exception ex)
        {
            // A bad argument faults the returned task, as it always has, rather than throwing here.
            return Task.FromException<long>(ex);
        }

        // A send span must stay current until its write is done, which here may be after this method returns: those
        // calls take the queued path, whose async method scopes the span.
        if (!cancellationToken.IsCancellationRequested && !QueueActivities.Source.HasListeners())
        {
            var (traceParent, traceState) = TraceContext.Capture(null);
            if (traceParent is not null)
            {
                job = job with { TraceParent = traceParent, TraceState = traceState };
            }

            bool written;
            (long Id, bool Created) result;
            try
            {
                written = store.TryInsertNow(
                    (Client: this, Job: job, Now: now), job, utf8?.Bytes, utf8?.Length ?? 0, now, store.Events.HasObservers ? RaiseEnqueuedAlone : null, out result);
            }
            catch (Exception ex)
            {
                SendFailed(null, ex, job.Queue, 1);
                return Task.FromException<long>(ex);
            }

            if (written)
            {
                Sent(null, result.Id, job.Queue);
                return Task.FromResult(result.Id);
            }
        }

        if (utf8 is not null)
        {
            job = job with { Payload = Encoding.UTF8.GetString(utf8.Bytes, 0, utf8.Length) };
        }

        return InsertQueuedAsync(job, now, cancellationToken);
    }

    private static readonly Action<(QueueClient Client, JobInsert Job, long Now), (long Id, bool Created)> RaiseEnqueuedAlone =
        static (a, r) => a.Client.RaiseEnqueued(r.Id, r.Created, a.Job, a.Now);

    private async Task<long> InsertQueuedAsync(JobInsert job, long now, CancellationToken cancellationToken)
    {
        using var send = QueueActivities.StartSend(job.Queue, job.Type, batchCount: null);
        var (traceParent, traceState) = TraceContext.Capture(send);
        if (traceParent is not null)
        {
            job = job with { TraceParent = traceParent, TraceState = traceState };
        }

        long id;
        try
        {
            (id, _) = await store.InsertAsync(job, now, store.Events.HasObservers ? RaiseOnCommit(job, now) : null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (SendFailed(send, ex, job.Queue, 1))
        {
            throw; // Unreachable: the filter records the failure and lets the exception pass.
        }

        Sent(send, id, job.Queue);
        return id;
    }

    // Its own method, so the closure is made only when an observer will be called.
    private Action<(long Id, bool Created)> RaiseOnCommit(JobInsert job, long now) => r => RaiseEnqueued(r.Id, r.Created, job, now);

    /// <summary>An enqueue committed: its span and counter, and the wake-up of whoever waits for a change or for a job.</summary>
    private void Sent(Activity? send, long id, string queue)
    {
        send?.SetTag(Tags.MessageId, id.ToString(CultureInfo.InvariantCulture));
        store.Metrics.Sent(queue, 1, errorType: null);
        store.Changes.Notify();
        store.Available.Notify();
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
            (ids, existing) = await store.InsertManyAsync(
                jobs, now, store.Events.HasObservers ? r => RaiseEnqueued(r.Ids, r.Existing, jobs, now) : null, cancellationToken).ConfigureAwait(false);
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
}
