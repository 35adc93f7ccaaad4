using System.CommandLine;
using System.Text.Json;
using SqliteQueue.CommandLine.Internal;
using SqliteQueue.Maintenance;

namespace SqliteQueue.CommandLine;

/// <summary><c>jobs list|show|retry|cancel|delete|purge</c>: find jobs, read one whole, and change them one by one or in bulk.</summary>
internal static class JobsCommands
{
    private const int ErrorWidth = 60;

    public static Command Create(CommandTree tree) => new("jobs", "List, show, retry, cancel and delete jobs.")
    {
        List(tree), Show(tree), Retry(tree), Cancel(tree), Delete(tree), Purge(tree),
    };

    private static Command List(CommandTree tree)
    {
        var queue = CommandTree.Queue();
        var state = CommandTree.State("Only jobs in this state.");
        var type = CommandTree.Type();
        var since = CommandTree.Duration("--since", "Only jobs created within this long before now, e.g. 1h.");
        var before = CommandTree.Duration("--before", "Only jobs created longer ago than this, e.g. 7d.");
        var after = new Option<long>("--after") { Description = "Only jobs with a greater id: the value a previous page printed, to read the next one.", HelpName = "id" };
        // --before already filters by creation time, so the newest-first cursor is --before-id.
        var newest = new Option<bool>("--newest") { Description = "Newest jobs first (descending id); the next page is read with --before-id." };
        var beforeId = new Option<long?>("--before-id") { Description = "Only jobs with a smaller id: the value a previous --newest page printed, to read the next (older) one.", HelpName = "id" };
        var limit = new Option<int>("--limit", "-n") { Description = "The most jobs to print, 1 to 1000.", DefaultValueFactory = _ => 50 };
        var command = new Command("list", "Jobs in id order (or newest first with --newest), filtered by queue, state, type and creation time, a page at a time.")
        {
            queue, state, type, since, before, after, newest, beforeId, limit,
        };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var page = await q.Client.ListJobsAsync(new JobQuery
            {
                Queue = c.Get(queue),
                State = c.Get(state),
                Type = c.Get(type),
                CreatedAfter = c.Get(since) is { } s ? c.Now - s : null,
                CreatedBefore = c.Get(before) is { } b ? c.Now - b : null,
                AfterId = c.Get(after),
                BeforeId = c.Get(beforeId),
                NewestFirst = c.Get(newest),
                Limit = c.Get(limit),
            }, c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { jobs = page.Jobs.Select(JobView.Of), nextAfterId = page.NextAfterId, nextBeforeId = page.NextBeforeId });
                return SqliteQueueExitCodes.Success;
            }

            var table = new TextTable("ID", "QUEUE", "TYPE", "STATE", "ATTEMPT", "CREATED", "RUN AT / FINISHED", "LAST ERROR").Right(0);
            foreach (var job in page.Jobs)
            {
                table.Add(job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), job.Queue, job.Type, JobView.StateText(job), JobView.Attempts(job),
                    Output.Time(job.CreatedAt), Output.Time(job.FinishedAt ?? job.RunAt), Output.Shorten(job.LastError, ErrorWidth));
            }

            c.Out.Table(table, "No job matches.");
            if (page.NextAfterId is { } next)
            {
                c.Out.Line($"More jobs match: add --after {next} for the next page.");
            }

            if (page.NextBeforeId is { } older)
            {
                c.Out.Line($"More jobs match: add --before-id {older} for the next (older) page.");
            }

            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CommandTree tree)
    {
        var id = new Argument<long>("id") { Description = "The job's id." };
        var command = new Command("show", "One job whole: its fields, its payload as formatted JSON, and every attempt with its worker, times and error.") { id };
        CommandActions.Set(command, tree, async c =>
        {
            var jobId = c.Get(id);
            var q = await c.QueueAsync().ConfigureAwait(false);
            var job = await q.Client.GetJobAsync(jobId, c.Cancel).ConfigureAwait(false) ?? throw NotFound(jobId);
            var executions = await q.Client.GetExecutionsAsync(jobId, c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { job = JobView.Of(job), executions });
                return SqliteQueueExitCodes.Success;
            }

            c.Out.Fields(
                ("Id", job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("Queue", job.Queue),
                ("Type", job.Type),
                ("State", JobView.StateText(job)),
                ("Attempt", JobView.Attempts(job)),
                ("Priority", Output.Number(job.Priority)),
                ("Created", Output.Time(job.CreatedAt)),
                ("Run at", Output.Time(job.RunAt)),
                ("Started", Output.Time(job.StartedAt)),
                ("Finished", Output.Time(job.FinishedAt)),
                ("Lease owner", job.LeaseOwner),
                ("Lease expires", job.LeaseExpiresAt is null ? null : Output.Time(job.LeaseExpiresAt)),
                ("Timeout", job.Timeout is { } t ? Durations.Format(t) : null),
                ("Deduplication key", job.DeduplicationKey),
                ("Recurring", job.RecurringName is null ? null : $"{job.RecurringName} (for {Output.Time(job.ScheduledFor)})"),
                ("Last error", job.LastError));
            c.Out.Line();
            c.Out.Line("Payload:");
            c.Out.Line(JobView.Indented(job.PayloadJson));
            c.Out.Line();
            var table = new TextTable("ATTEMPT", "OUTCOME", "WORKER", "STARTED", "FINISHED", "TOOK", "ERROR").Right(0);
            foreach (var e in executions)
            {
                table.Add(Output.Number(e.Attempt), e.Outcome.ToString(), e.WorkerId, Output.Time(e.StartedAt), Output.Time(e.FinishedAt),
                    Durations.Format(e.FinishedAt - e.StartedAt), e.Error);
            }

            c.Out.Table(table, "No attempt has finished yet.");
            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command Retry(CommandTree tree)
    {
        var ids = CommandTree.Ids("The jobs to retry (dead or cancelled).");
        var all = new Option<bool>("--all") { Description = "Retry every job that matches --state, --queue, --type and --older-than, instead of ids." };
        var state = CommandTree.State("With --all: dead (the default) or cancelled.");
        var queue = CommandTree.Queue();
        var type = CommandTree.Type();
        var olderThan = CommandTree.Duration("--older-than", "With --all: only jobs that finished longer ago than this.");
        var yes = CommandTree.Yes();
        var dryRun = CommandTree.DryRun();
        var command = new Command("retry", "Put dead or cancelled jobs back to pending, runnable now, with a fresh attempt budget; their history is kept.")
        {
            ids, all, state, queue, type, olderThan, yes, dryRun,
        };
        CommandActions.Set(command, tree, async c =>
        {
            var given = c.Get(ids) ?? [];
            if (!c.Get(all))
            {
                NoFilterWithIds(c, given, "retry", state, queue, type, olderThan);
                return await ForEachAsync(c, given, dryRun, "retry", static j => j.State is JobState.Dead or JobState.Cancelled, async static (q, j, ct) =>
                    await q.Client.RetryAsync(j.Id, ct).ConfigureAwait(false) ? "retried: pending" : null).ConfigureAwait(false);
            }

            if (given.Length > 0)
            {
                throw CommandFailure.Usage("Give job ids or --all, not both.");
            }

            var filter = new JobFilter(c.Get(state) ?? JobState.Dead) { Queue = c.Get(queue), Type = c.Get(type), Before = c.Get(olderThan) is { } o ? c.Now - o : null };
            return await BulkAsync(c, filter, dryRun, yes, "retry", static (q, f, ct) => q.Maintenance.RetryJobsAsync(f, ct)).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Cancel(CommandTree tree)
    {
        var ids = CommandTree.Ids("The jobs to cancel.");
        var yes = CommandTree.Yes();
        var dryRun = CommandTree.DryRun();
        var command = new Command("cancel", "Cancel jobs: a pending one at once; a running one is asked to stop (its handler's token fires within a heartbeat).") { ids, yes, dryRun };
        CommandActions.Set(command, tree, async c =>
        {
            var given = c.Get(ids) ?? [];
            if (given.Length == 0)
            {
                throw CommandFailure.Usage("Which jobs? Give one or more ids.");
            }

            if (!c.Get(dryRun))
            {
                c.Confirm(yes, $"Cancel {Plural(given.Length, "job")}?");
            }

            return await ForEachAsync(c, given, dryRun, "cancel", static j => !j.State.IsFinished(), async static (q, j, ct) =>
                await q.Client.CancelAsync(j.Id, ct).ConfigureAwait(false) switch
                {
                    CancelResult.Cancelled => "cancelled",
                    CancelResult.CancellationRequested => "cancel requested: its handler is being stopped",
                    _ => null,
                }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Delete(CommandTree tree)
    {
        var ids = CommandTree.Ids("The jobs to delete (not running ones: cancel them first).");
        var yes = CommandTree.Yes();
        var dryRun = CommandTree.DryRun();
        var command = new Command("delete", "Delete jobs by id, with their execution history.") { ids, yes, dryRun };
        CommandActions.Set(command, tree, async c =>
        {
            var given = c.Get(ids) ?? [];
            if (given.Length == 0)
            {
                throw CommandFailure.Usage("Which jobs? Give one or more ids.");
            }

            if (!c.Get(dryRun))
            {
                c.Confirm(yes, $"Delete {Plural(given.Length, "job")} and their history?");
            }

            return await ForEachAsync(c, given, dryRun, "delete", static j => j.State != JobState.Running, async static (q, j, ct) =>
                await q.Maintenance.DeleteJobsAsync([j.Id], ct).ConfigureAwait(false) == 1 ? "deleted" : null).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Purge(CommandTree tree)
    {
        var state = CommandTree.State("The state of the jobs to delete (not running).");
        state.Required = true;
        var olderThan = CommandTree.Duration("--older-than", "Only jobs that finished (pending ones: were created) longer ago than this, e.g. 7d.");
        var queue = CommandTree.Queue();
        var type = CommandTree.Type();
        var yes = CommandTree.Yes();
        var dryRun = CommandTree.DryRun();
        var command = new Command("purge", "Delete every job in a state, optionally only of a queue or type and older than an age, in short batches beside running workers.")
        {
            state, olderThan, queue, type, yes, dryRun,
        };
        CommandActions.Set(command, tree, async c =>
        {
            if (c.Get(state) == JobState.Running)
            {
                throw CommandFailure.Usage("Running jobs cannot be purged: cancel them first (jobs cancel), or purge their queue (queues purge).");
            }

            var filter = new JobFilter(c.Get(state)!.Value) { Queue = c.Get(queue), Type = c.Get(type), Before = c.Get(olderThan) is { } o ? c.Now - o : null };
            return await BulkAsync(c, filter, dryRun, yes, "delete", static (q, f, ct) => q.Maintenance.DeleteJobsAsync(f, ct)).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Acts on each job named, or with <c>--dry-run</c> reads each and says what would happen. A job that is missing, or
    /// in a state the action does not apply to, is reported and skipped, and then the exit code is an error.
    /// </summary>
    private static async Task<int> ForEachAsync(
        CommandContext c, long[] ids, Option<bool> dryRun, string verb, Func<JobInfo, bool> applies,
        Func<SqliteJobQueue, JobInfo, CancellationToken, Task<string?>> act)
    {
        var q = await c.QueueAsync().ConfigureAwait(false);
        var dry = c.Get(dryRun);
        var results = new List<(long Id, JobState? State, string Outcome, bool Done)>();
        foreach (var id in ids.Distinct())
        {
            var job = await q.Client.GetJobAsync(id, c.Cancel).ConfigureAwait(false);
            if (job is null)
            {
                results.Add((id, null, "not found", false));
            }
            else if (!applies(job))
            {
                results.Add((id, job.State, $"skipped: it is {JobView.StateText(job)}", false));
            }
            else if (dry)
            {
                results.Add((id, job.State, $"would {verb}", true));
            }
            else
            {
                var outcome = await act(q, job, c.Cancel).ConfigureAwait(false);
                results.Add((id, job.State, outcome ?? "not changed: its state changed meanwhile", outcome is not null));
            }
        }

        if (c.Out.Json)
        {
            c.Out.WriteJson(new
            {
                dryRun = dry,
                action = verb,
                jobs = results.Select(r => new { id = r.Id, state = r.State, outcome = r.Outcome, done = r.Done }),
            });
        }
        else
        {
            var table = new TextTable("ID", "STATE", "OUTCOME").Right(0);
            foreach (var r in results)
            {
                table.Add(r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), r.State?.ToString().ToLowerInvariant() ?? "-", r.Outcome);
            }

            c.Out.Table(table, "No job given.");
            if (dry)
            {
                c.Out.Line("Nothing was changed (--dry-run).");
            }
        }

        return results.All(r => r.Done) ? SqliteQueueExitCodes.Success : SqliteQueueExitCodes.Error;
    }

    private static async Task<int> BulkAsync(
        CommandContext c, JobFilter filter, Option<bool> dryRun, Option<bool> yes, string verb, Func<SqliteJobQueue, JobFilter, CancellationToken, Task<long>> act)
    {
        var q = await c.QueueAsync().ConfigureAwait(false);
        var matching = await q.Maintenance.CountJobsAsync(filter, c.Cancel).ConfigureAwait(false);
        var what = Describe(filter);
        if (c.Get(dryRun))
        {
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { dryRun = true, action = verb, filter, matching });
            }
            else
            {
                c.Out.Line($"Would {verb} {Plural(matching, "job")} ({what}). Nothing was changed.");
            }

            return SqliteQueueExitCodes.Success;
        }

        if (matching == 0)
        {
            WriteBulk(c, verb, filter, 0, what);
            return SqliteQueueExitCodes.Success;
        }

        c.Confirm(yes, $"{char.ToUpperInvariant(verb[0])}{verb[1..]} {Plural(matching, "job")} ({what})?");
        var changed = await act(q, filter, c.Cancel).ConfigureAwait(false);
        WriteBulk(c, verb, filter, changed, what);
        return SqliteQueueExitCodes.Success;
    }

    private static void WriteBulk(CommandContext c, string verb, JobFilter filter, long changed, string what)
    {
        if (c.Out.Json)
        {
            c.Out.WriteJson(new { action = verb, filter, changed });
        }
        else
        {
            c.Out.Line($"{(verb == "retry" ? "Retried" : "Deleted")} {Plural(changed, "job")} ({what}).");
        }
    }

    private static void NoFilterWithIds(CommandContext c, long[] ids, string verb, params Option[] filters)
    {
        if (ids.Length == 0)
        {
            throw CommandFailure.Usage($"Which jobs? Give one or more ids, or --all with a filter, to {verb}.");
        }

        foreach (var option in filters)
        {
            if (c.Result.GetResult(option) is { Implicit: false })
            {
                throw CommandFailure.Usage($"{option.Name} filters --all; with job ids it does nothing. Drop it, or use --all instead of ids.");
            }
        }
    }

    private static string Describe(JobFilter filter)
    {
        var parts = new List<string> { $"state {filter.State.ToString().ToLowerInvariant()}" };
        if (filter.Queue is not null)
        {
            parts.Add($"queue '{filter.Queue}'");
        }

        if (filter.Type is not null)
        {
            parts.Add($"type '{filter.Type}'");
        }

        if (filter.Before is { } before)
        {
            parts.Add($"before {Output.Time(before)}");
        }

        return string.Join(", ", parts);
    }

    private static string Plural(long count, string noun) => $"{Output.Number(count)} {noun}{(count == 1 ? "" : "s")}";

    private static CommandFailure NotFound(long id) => CommandFailure.Error($"There is no job {id}.");
}
