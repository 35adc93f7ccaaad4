using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SqliteQueue.CommandLine.Internal;
using SqliteQueue.Recurring;

namespace SqliteQueue.CommandLine;

/// <summary><c>recurring</c>: list, inspect, pause, resume and trigger the schedules stored in the queue file, and read their history.</summary>
internal static class RecurringCommands
{
    private const int ShowOccurrences = 5;

    public static Command Create(CommandTree tree) => new("recurring", "List, inspect, pause, resume and trigger recurring schedules.")
    {
        List(tree), Show(tree), Pause(tree), Resume(tree), Trigger(tree), History(tree),
    };

    private static Command List(CommandTree tree)
    {
        var command = new Command("list", "Every recurring schedule: its state, next and last run, and last error.");
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var all = await q.Recurring.ListAsync(c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new
                {
                    recurring = all.Select(r => new
                    {
                        r.Name,
                        r.State,
                        r.Source,
                        r.Definition.Schedule,
                        r.Definition.TimeZone,
                        r.Definition.JobType,
                        r.Definition.Queue,
                        r.NextRunAt,
                        r.LastOccurrenceAt,
                        r.LastJobId,
                        r.FiredCount,
                        r.LastError,
                    }),
                });
                return SqliteQueueExitCodes.Success;
            }

            var table = new TextTable("NAME", "STATE", "SCHEDULE", "TIME ZONE", "NEXT RUN", "LAST RUN", "FIRED", "LAST ERROR").Right(6);
            foreach (var r in all)
            {
                table.Add(r.Name, State(r.State), r.Definition.Schedule, r.Definition.TimeZone, Output.Time(r.NextRunAt), Output.Time(r.LastOccurrenceAt),
                    Output.Number(r.FiredCount), Output.Shorten(r.LastError, 60));
            }

            c.Out.Table(table, "No recurring schedules.");
            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CommandTree tree)
    {
        var name = Name("The schedule to show.");
        var command = new Command("show", $"One schedule: every field of it and its definition, and its next {ShowOccurrences} occurrences.") { name };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var r = await FindAsync(q, c.Get(name)!, c.Cancel).ConfigureAwait(false);
            var d = r.Definition;

            // A schedule that no longer parses here (a zone this machine lacks, an H field) is still shown; the preview says why it is missing.
            string? description = null, warning = null, previewError = null;
            IReadOnlyList<DateTimeOffset> next = [];
            try
            {
                var schedule = RecurringSchedule.Parse(d.Schedule, d.TimeZone);
                description = schedule.Describe();
                warning = schedule.Warning;
                next = schedule.Preview(TimeProvider.System.GetUtcNow(), ShowOccurrences);
            }
            catch (ArgumentException ex)
            {
                previewError = ex.Message;
            }

            if (c.Out.Json)
            {
                c.Out.WriteJson(new { recurring = r, description, warning, nextOccurrences = next, previewError });
                return SqliteQueueExitCodes.Success;
            }

            c.Out.Fields(
                ("Name", r.Name),
                ("State", State(r.State)),
                ("Source", r.Source == RecurringJobSource.Code ? "code" : "runtime"),
                ("Schedule", d.Schedule),
                ("Description", description),
                ("Warning", warning),
                ("Time zone", d.TimeZone),
                ("Job type", d.JobType),
                ("Queue", d.Queue),
                ("Priority", Output.Number(d.Priority)),
                ("Max attempts", d.MaxAttempts is { } m ? Output.Number(m) : "queue default"),
                ("Timeout", d.Timeout is { } t ? Durations.Format(t) : null),
                ("Misfire", Kebab(d.Misfire.ToString())),
                ("Misfire grace", Durations.Format(d.MisfireGrace)),
                ("Max catch-up", Output.Number(d.MaxCatchUp)),
                ("Overlap", Kebab(d.Overlap.ToString())),
                ("Payload", d.PayloadJson),
                ("Next run", Output.Time(r.NextRunAt)),
                ("Last run", Output.Time(r.LastOccurrenceAt)),
                ("Last job", r.LastJobId?.ToString(CultureInfo.InvariantCulture)),
                ("Fired", Output.Number(r.FiredCount)),
                ("Last error", r.LastError),
                ("Created", Output.Time(r.CreatedAt)),
                ("Updated", Output.Time(r.UpdatedAt)));
            c.Out.Line();
            if (previewError is not null)
            {
                c.Out.Line($"No preview: {previewError}");
            }
            else
            {
                c.Out.Line($"Next {ShowOccurrences} occurrences:");
                WriteOccurrences(c.Out, next, d.TimeZone);
            }

            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command Pause(CommandTree tree)
    {
        var name = Name("The schedule to pause.");
        var command = new Command("pause", "Stops a schedule firing until it is resumed. Jobs it already enqueued still run.") { name };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var n = c.Get(name)!;
            if (!await q.Recurring.PauseAsync(n, c.Cancel).ConfigureAwait(false))
            {
                throw NotFound(n);
            }

            return await ReportAsync(c, q, n, "Paused").ConfigureAwait(false);
        });
        return command;
    }

    private static Command Resume(CommandTree tree)
    {
        var name = Name("The schedule to resume.");
        var from = new Option<ResumeFrom>("--from")
        {
            Description = "now: drop the occurrences that came while it was paused (the default); last-occurrence: handle them as missed, by the misfire policy.",
            HelpName = "now|last-occurrence",
            DefaultValueFactory = _ => ResumeFrom.Now,
            CustomParser = ParseResumeFrom,
        };
        var command = new Command("resume", "Makes a paused or broken schedule fire again.") { name, from };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var n = c.Get(name)!;
            if (!await q.Recurring.ResumeAsync(n, c.Get(from), c.Cancel).ConfigureAwait(false))
            {
                throw NotFound(n);
            }

            return await ReportAsync(c, q, n, "Resumed").ConfigureAwait(false);
        });
        return command;
    }

    private static Command Trigger(CommandTree tree)
    {
        var name = Name("The schedule whose job to enqueue.");
        var ignoreOverlap = new Option<bool>("--ignore-overlap") { Description = "Enqueue even if the schedule's overlap policy would hold the job back." };
        var command = new Command("trigger", "Enqueues the schedule's job now, outside the schedule; the next occurrence stays where it was.") { name, ignoreOverlap };
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var r = await FindAsync(q, c.Get(name)!, c.Cancel).ConfigureAwait(false);
            var jobId = await q.Recurring.TriggerAsync(r.Name, c.Get(ignoreOverlap), c.Cancel).ConfigureAwait(false);
            if (jobId is null)
            {
                throw CommandFailure.Error($"Schedule '{r.Name}' was not triggered: its overlap policy ({Kebab(r.Definition.Overlap.ToString())}) held the job back because one of its jobs is still live. Pass --ignore-overlap to enqueue anyway.");
            }

            if (c.Out.Json)
            {
                c.Out.WriteJson(new { name = r.Name, jobId });
            }
            else
            {
                c.Out.Line($"Triggered '{r.Name}': job {jobId.Value.ToString(CultureInfo.InvariantCulture)}.");
            }

            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static Command History(CommandTree tree)
    {
        var name = Name("The schedule whose history to show.");
        var limit = new Option<int>("--limit", "-n")
        {
            Description = "The most entries to show, from 1 to 1000.",
            HelpName = "count",
            DefaultValueFactory = _ => 50,
        };
        var command = new Command("history", "What a schedule did with each occurrence, newest first.") { name, limit };
        CommandActions.Set(command, tree, async c =>
        {
            var max = c.Get(limit);
            if (max is < 1 or > 1000)
            {
                throw CommandFailure.Usage($"--limit must be from 1 to 1000, not {max.ToString(CultureInfo.InvariantCulture)}.");
            }

            var q = await c.QueueAsync().ConfigureAwait(false);
            // The library answers an unknown name with an empty history, which would read as "never fired".
            var r = await FindAsync(q, c.Get(name)!, c.Cancel).ConfigureAwait(false);
            var entries = await q.Recurring.GetHistoryAsync(r.Name, max, c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { name = r.Name, history = entries.Select(e => new { e.ScheduledFor, e.Outcome, e.JobId, e.RecordedAt, e.Detail }) });
                return SqliteQueueExitCodes.Success;
            }

            var table = new TextTable("SCHEDULED FOR", "OUTCOME", "JOB", "RECORDED", "DETAIL").Right(2);
            foreach (var e in entries)
            {
                table.Add(Output.Time(e.ScheduledFor), Kebab(e.Outcome.ToString()), e.JobId?.ToString(CultureInfo.InvariantCulture) ?? "-", Output.Time(e.RecordedAt), e.Detail);
            }

            c.Out.Table(table, $"Schedule '{r.Name}' has no history yet.");
            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    /// <summary>The next occurrences, in UTC and in the schedule's zone; shared with <c>cron explain</c>.</summary>
    internal static void WriteOccurrences(Output output, IReadOnlyList<DateTimeOffset> occurrences, string timeZone)
    {
        var table = new TextTable("#", "UTC", timeZone).Right(0);
        for (var i = 0; i < occurrences.Count; i++)
        {
            table.Add(Output.Number(i + 1), Output.Time(occurrences[i]), Local(occurrences[i]));
        }

        output.Table(table, "No occurrences: the schedule never fires again.");
    }

    /// <summary>The wall-clock time in the zone the occurrence carries the offset of, with its weekday, which cron fields often name.</summary>
    internal static string Local(DateTimeOffset time) => time.ToString("ddd yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    private static async Task<int> ReportAsync(CommandContext c, SqliteJobQueue q, string name, string done)
    {
        var r = await FindAsync(q, name, c.Cancel).ConfigureAwait(false);
        if (c.Out.Json)
        {
            c.Out.WriteJson(new { r.Name, r.State, r.NextRunAt });
        }
        else
        {
            c.Out.Line($"{done} '{r.Name}': {State(r.State)}, next run {Output.Time(r.NextRunAt)}.");
        }

        return SqliteQueueExitCodes.Success;
    }

    private static async Task<RecurringJobInfo> FindAsync(SqliteJobQueue q, string name, CancellationToken cancellationToken) =>
        await q.Recurring.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw NotFound(name);

    private static CommandFailure NotFound(string name) =>
        CommandFailure.Error($"No recurring schedule is named '{name}'. `recurring list` shows the names.");

    private static Argument<string> Name(string description) => new("name") { Description = description };

    private static string State(RecurringJobState state) => state.ToString().ToLowerInvariant();

    /// <summary>An enum name as typed on the command line and printed in JSON's spirit: <c>QueueOne</c> as <c>queue-one</c>.</summary>
    internal static string Kebab(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        foreach (var ch in name)
        {
            if (char.IsUpper(ch) && text.Length > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(ch));
        }

        return text.ToString();
    }

    private static ResumeFrom ParseResumeFrom(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        switch (text.ToLowerInvariant())
        {
            case "now":
                return ResumeFrom.Now;
            case "last-occurrence":
                return ResumeFrom.LastOccurrence;
            default:
                result.AddError($"--from must be now or last-occurrence, not '{text}'.");
                return default;
        }
    }
}
