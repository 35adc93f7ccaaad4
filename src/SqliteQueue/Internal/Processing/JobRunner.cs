using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal.Processing;

/// <summary>
/// Runs one job's handler and writes its outcome: each job runs in its own DI scope on a pool thread, with a token
/// that fires on its timeout, a cancel, a lost lease or a forced shutdown. Its slot goes on as soon as the handler
/// returns (see <see cref="SlotDispatcher.CompleteAsync"/>), and the job is forgotten once its outcome is committed.
/// </summary>
internal sealed class JobRunner(
    IJobStore store, Worker worker, HandlerRegistry registry, HandlerPipeline pipeline, IServiceScopeFactory scopes, SlotDispatcher slots,
    Action<RunningJob> forget, ILogger logger)
{
    /// <summary>Gives a held job back without spending an attempt; one whose cancel was requested ends cancelled.</summary>
    public async Task GiveBackAsync(RunningJob run, bool cancelled)
    {
        if (cancelled)
        {
            logger.JobCancelRequested(run.Job.Id, run.Job.Type);
        }

        await SettleAsync(run, () => worker.ReleaseAsync(run.Job), Released).ConfigureAwait(false);
        forget(run);
    }

    /// <summary>Runs the handler of a job that holds a slot and whose attempt is counted, then settles it.</summary>
    public void Start(RunningJob run)
    {
        if (run.Job.Timeout is { } timeout)
        {
            run.TimeoutTimer = store.Time.CreateTimer(static state => ((RunningJob)state!).Interrupt(StopReason.Timeout), run, timeout, Timeout.InfiniteTimeSpan);
        }

        _ = RunJobAsync(run);
    }

    private async Task RunJobAsync(RunningJob run)
    {
        var job = run.Job;
        var slotHeld = true;
        try
        {
            if (run.Interrupted.IsCompleted)
            {
                // Cancelled, or its lease lost, while it waited for a slot: the handler never runs.
                await SettleInterruptedAsync(run, await run.Interrupted.ConfigureAwait(false)).ConfigureAwait(false);
                return;
            }

            if (!registry.TryGet(job.Type, out var registration))
            {
                await SettleAsync(run, () => worker.FailAsync(job, Errors.UnknownJobType(job.Type, registry.JobTypes), permanent: true), FailOutcome).ConfigureAwait(false);
                return;
            }

            Task handler;
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                using var logScope = logger.BeginScope(new JobLogScope(job));

                // On a pool thread: a handler that blocks before its first await must hold neither the dispatcher
                // nor its own timeout, which is watched below.
                var services = scope.ServiceProvider;

                // The handler (and its middleware) runs inside the attempt's span; this flow goes back to the span it
                // was in, so nothing started from here later (the next held job, a commit) becomes the span's child.
                var previous = Activity.Current;
                run.Span = QueueActivities.StartProcess(job, store.Options.Tracing.ProcessSpanParenting);
                run.ProcessStarted = store.Metrics.ProcessEnabled ? store.Time.GetTimestamp() : 0;
                handler = Task.Run(() => pipeline.InvokeAsync(registration, services, job, worker.WorkerId, store.Options.JsonSerializerOptions, run.Token), CancellationToken.None);
                if (run.Span is not null)
                {
                    Activity.Current = previous;
                }

                var first = await Task.WhenAny(handler, run.Interrupted).ConfigureAwait(false);
                if (first != handler)
                {
                    await SettleInterruptedAsync(run, await run.Interrupted.ConfigureAwait(false)).ConfigureAwait(false);
                    EndProcess(run);

                    // The job has moved on, but the handler still holds its slot (and its scope) until it returns.
                    try
                    {
                        await handler.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
                    {
                        // The handler passed its token on, as it should: nothing went wrong.
                        logger.HandlerStopped(job.Id, job.Type);
                    }
                    catch (Exception ex)
                    {
                        logger.AbandonedHandlerFailed(ex, job.Id, job.Type);
                    }

                    return;
                }

                // The outcome is decided now: the heartbeat leaves the job alone while its settle is written.
                run.MarkDecided();
            }

            // The handler is done and its scope disposed: its slot goes on at once, to a held job that starts in the
            // completion's own commit, or free for the next claim while the completion waits to be committed.
            run.TimeoutTimer?.Dispose();
            slotHeld = false;
            if (handler.IsCompletedSuccessfully && !run.Interrupted.IsCompleted)
            {
                await slots.CompleteAsync(run).ConfigureAwait(false);
            }
            else
            {
                slots.Release();
                await SettleFromHandlerAsync(run, handler).ConfigureAwait(false);
            }

            EndProcess(run);
        }
        catch (Exception ex)
        {
            logger.JobRunFailed(ex, job.Id, job.Type);
            run.Outcome = ProcessOutcomes.Error;
            run.ErrorType ??= QueueActivities.ErrorTypeOf(ex);
            run.Error ??= ex;
            EndProcess(run);
        }
        finally
        {
            if (slotHeld)
            {
                run.TimeoutTimer?.Dispose();
                slots.Release();
            }

            forget(run);
        }
    }

    private Task SettleFromHandlerAsync(RunningJob run, Task handler)
    {
        var job = run.Job;
        if (handler.IsCompletedSuccessfully)
        {
            return SettleAsync(run, () => worker.CompleteAsync(job), Completed);
        }

        var ex = handler.Exception?.InnerException ?? handler.Exception ?? (Exception)new OperationCanceledException();
        if (ex is OperationCanceledException && run.Interrupted.IsCompleted)
        {
            return SettleInterruptedAsync(run, run.Interrupted.Result);
        }

        run.ErrorType = QueueActivities.ErrorTypeOf(ex);
        run.Error = ex;
        if (ex is PermanentJobFailureException)
        {
            return SettleAsync(run, () => worker.FailAsync(job, Errors.Describe(ex), permanent: true), FailOutcome);
        }

        logger.HandlerFailed(ex, job.Id, job.Type, job.Attempt);
        return SettleAsync(run, () => worker.FailAsync(job, Errors.Describe(ex)), FailOutcome);
    }

    private Task SettleInterruptedAsync(RunningJob run, StopReason reason)
    {
        var job = run.Job;
        run.MarkDecided();
        switch (reason)
        {
            case StopReason.Timeout:
                logger.JobTimedOut(job.Id, job.Type, job.Timeout ?? TimeSpan.Zero, job.Attempt);
                run.ErrorType = ProcessOutcomes.TimeoutErrorType;
                return SettleAsync(run, () => worker.FailAsync(job, Errors.JobTimedOut(job.Timeout ?? TimeSpan.Zero)), static r => r.Applied ? ProcessOutcomes.Timeout : ProcessOutcomes.LeaseLost);
            case StopReason.CancelRequested:
                logger.JobCancelRequested(job.Id, job.Type);
                return SettleAsync(run, () => worker.FailAsync(job, Errors.JobCancelledWhileRunning), FailOutcome);
            case StopReason.Shutdown:
                logger.JobStoppedForShutdown(job.Id, job.Type);
                return SettleAsync(run, () => worker.ReleaseAsync(job), Released);
            default:
                // The job belongs to someone else now; nothing may be written.
                logger.LeaseLostWhileRunning(worker.WorkerId, job.Id, job.Type);
                run.Outcome = ProcessOutcomes.LeaseLost;
                run.ErrorType = ProcessOutcomes.LeaseLostErrorType;
                run.MarkSettled();
                return Task.CompletedTask;
        }
    }

    private static string Completed(bool applied) => applied ? ProcessOutcomes.Completed : ProcessOutcomes.LeaseLost;

    private static string Released(bool applied) => applied ? ProcessOutcomes.Released : ProcessOutcomes.LeaseLost;

    private static string FailOutcome(FailResult result) => !result.Applied ? ProcessOutcomes.LeaseLost : result.State switch
    {
        JobState.Pending => ProcessOutcomes.Retry,
        JobState.Cancelled => ProcessOutcomes.Cancelled,
        _ => ProcessOutcomes.Dead,
    };

    private async Task SettleAsync<T>(RunningJob run, Func<Task<T>> settle, Func<T, string> outcome)
    {
        try
        {
            run.Outcome = outcome(await settle().ConfigureAwait(false));
            if (run.Outcome == ProcessOutcomes.LeaseLost)
            {
                run.ErrorType ??= ProcessOutcomes.LeaseLostErrorType;
            }
        }
        catch (Exception ex)
        {
            // The lease will expire and the job will be retaken: a failed settle never loses the job.
            logger.SettleFailed(ex, run.Job.Id, run.Job.Type);
            run.Outcome = ProcessOutcomes.Error;
            run.ErrorType ??= QueueActivities.ErrorTypeOf(ex);
            run.Error ??= ex;
        }
        finally
        {
            run.MarkSettled();
        }
    }

    /// <summary>Closes the attempt's span and records its duration, once its outcome is written (or given up).</summary>
    private void EndProcess(RunningJob run)
    {
        var span = run.Span;
        var started = run.ProcessStarted;
        if (span is null && started == 0)
        {
            return;
        }

        run.Span = null;
        run.ProcessStarted = 0;
        var outcome = run.Outcome ?? ProcessOutcomes.Error;
        if (span is not null)
        {
            span.SetTag(Tags.Outcome, outcome);
            if (run.ErrorType is { } errorType)
            {
                QueueActivities.SetError(span, errorType, run.Error, store.Options.Tracing.RecordExceptionMessages);
            }

            span.Stop();
        }

        if (started != 0)
        {
            store.Metrics.Processed(run.Job, outcome, run.ErrorType, store.Time.GetElapsedTime(started).TotalSeconds);
        }
    }
}
