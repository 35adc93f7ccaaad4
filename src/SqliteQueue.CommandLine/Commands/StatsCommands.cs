using System.CommandLine;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

/// <summary><c>stats</c> and <c>queues</c>: counts per queue and state, read from the counters the queue keeps.</summary>
internal static class StatsCommands
{
    public static Command Stats(CommandTree tree)
    {
        var queue = CommandTree.Queue("Only this queue.");
        var watch = CommandTree.Duration("--watch", "Print the counts again at this interval until stopped (Ctrl+C), e.g. 2s.");
        var command = new Command("stats", "Counts per queue and state, and the age of the oldest runnable job.") { queue, watch };
        CommandActions.Set(command, tree, async c =>
        {
            var interval = c.Get(watch);
            if (interval is { } i && (i < TimeSpan.FromMilliseconds(100) || i > TimeSpan.FromDays(1)))
            {
                throw CommandFailure.Usage($"--watch must be from 100ms to 1d, not {Durations.Format(i)}.");
            }

            var q = await c.QueueAsync().ConfigureAwait(false);
            while (true)
            {
                var stats = await q.Client.GetStatsAsync(c.Cancel).ConfigureAwait(false);
                var rows = stats.Queues.Where(s => c.Get(queue) is not { } only || s.Queue == only).ToList();
                Write(c.Out, rows);
                if (interval is null)
                {
                    return SqliteQueueExitCodes.Success;
                }

                await Task.Delay(interval.Value, c.Cancel).ConfigureAwait(false);
                if (!c.Out.Json)
                {
                    c.Out.Line();
                }
            }
        });
        return command;
    }

    public static Command Queues(CommandTree tree)
    {
        var list = new Command("list", "The queues that hold jobs, with their live and finished counts.");
        CommandActions.Set(list, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var stats = await q.Client.GetStatsAsync(c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { queues = stats.Queues.Select(s => new { name = s.Queue, live = s.Pending + s.Running, finished = s.Completed + s.Dead + s.Cancelled }) });
                return SqliteQueueExitCodes.Success;
            }

            var table = new TextTable("QUEUE", "LIVE", "FINISHED").Right(1, 2);
            foreach (var s in stats.Queues)
            {
                table.Add(s.Queue, Output.Number(s.Pending + s.Running), Output.Number(s.Completed + s.Dead + s.Cancelled));
            }

            c.Out.Table(table, "No queue holds any job.");
            return SqliteQueueExitCodes.Success;
        });

        var name = new Argument<string>("queue") { Description = "The queue to empty." };
        var yes = CommandTree.Yes();
        var dryRun = CommandTree.DryRun();
        var purge = new Command("purge", "Empties a queue: deletes its pending and finished jobs, and asks the workers of its running jobs to stop them.") { name, yes, dryRun };
        CommandActions.Set(purge, tree, async c =>
        {
            var queueName = c.Get(name)!;
            var q = await c.QueueAsync().ConfigureAwait(false);
            var s = (await q.Client.GetStatsAsync(c.Cancel).ConfigureAwait(false)).For(queueName);
            var deleting = s.Pending + s.Completed + s.Dead + s.Cancelled;
            if (c.Get(dryRun))
            {
                if (c.Out.Json)
                {
                    c.Out.WriteJson(new { dryRun = true, queue = queueName, wouldDelete = deleting, wouldAskToCancel = s.Running });
                }
                else
                {
                    c.Out.Line($"Would delete {Output.Number(deleting)} jobs of queue '{queueName}' and ask {Output.Number(s.Running)} running ones to stop. Nothing was changed.");
                }

                return SqliteQueueExitCodes.Success;
            }

            c.Confirm(yes, $"Delete {Output.Number(deleting)} jobs of queue '{queueName}' and stop its {Output.Number(s.Running)} running ones?");
            var result = await q.Maintenance.PurgeQueueAsync(queueName, c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { queue = queueName, deleted = result.Deleted, cancellationRequested = result.CancellationRequested });
            }
            else
            {
                c.Out.Line($"Deleted {Output.Number(result.Deleted)} jobs of queue '{queueName}'; asked {Output.Number(result.CancellationRequested)} running ones to stop.");
            }

            return SqliteQueueExitCodes.Success;
        });

        return new Command("queues", "List queues, or empty one.") { list, purge };
    }

    private static void Write(Output output, List<QueueStatistics> rows)
    {
        if (output.Json)
        {
            output.WriteJson(new
            {
                queues = rows.Select(s => new
                {
                    queue = s.Queue,
                    s.Pending,
                    s.Runnable,
                    s.Running,
                    s.Completed,
                    s.Dead,
                    s.Cancelled,
                    oldestRunnableAgeSeconds = s.OldestRunnableAge?.TotalSeconds,
                }),
            });
            return;
        }

        var table = new TextTable("QUEUE", "PENDING", "RUNNABLE", "RUNNING", "COMPLETED", "DEAD", "CANCELLED", "OLDEST RUNNABLE").Right(1, 2, 3, 4, 5, 6, 7);
        foreach (var s in rows)
        {
            table.Add(s.Queue, Output.Number(s.Pending), Output.Number(s.Runnable), Output.Number(s.Running), Output.Number(s.Completed),
                Output.Number(s.Dead), Output.Number(s.Cancelled), Output.Age(s.OldestRunnableAge));
        }

        output.Table(table, "No queue holds any job.");
    }
}
