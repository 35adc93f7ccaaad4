using System.CommandLine;
using System.Globalization;
using SqliteQueue.CommandLine.Internal;
using SqliteQueue.Monitoring;

namespace SqliteQueue.CommandLine;

/// <summary><c>workers</c> and <c>health</c>: who is working the file, and whether the queue is healthy by the library's rules.</summary>
internal static class MonitorCommands
{
    public static Command Workers(CommandTree tree)
    {
        var command = new Command("workers", "The live hosted worker groups in every process on the file, from their heartbeats.");
        CommandActions.Set(command, tree, async c =>
        {
            var q = await c.QueueAsync().ConfigureAwait(false);
            var workers = await q.Monitor.ListWorkersAsync(c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { workers });
                return SqliteQueueExitCodes.Success;
            }

            var table = new TextTable("ID", "HOST", "PID", "QUEUES", "CONCURRENCY", "STARTED", "LAST HEARTBEAT", "EXPIRES").Right(2, 4);
            foreach (var w in workers)
            {
                table.Add(w.Id, w.Host, Output.Number(w.ProcessId), string.Join(",", w.Queues), Output.Number(w.Concurrency),
                    Output.Time(w.StartedAt), Output.Time(w.LastHeartbeatAt), Output.Time(w.ExpiresAt));
            }

            c.Out.Table(table, "No live workers: no process runs a hosted worker on this file (workers driven by hand through IWorker do not register).");
            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    public static Command Health(CommandTree tree)
    {
        var defaults = new QueueHealthOptions();
        var maxOldest = CommandTree.Duration("--max-oldest-runnable-age", $"The longest a queue's oldest runnable job may wait, e.g. 5m. The default is {Age(defaults.MaxOldestRunnableAge)}.");
        var minWorkers = new Option<int?>("--min-live-workers")
        {
            Description = $"The fewest live hosted worker groups, in all processes together. The default is {defaults.MinLiveWorkers}.",
            HelpName = "count",
        };
        var maxDead = new Option<long?>("--max-dead-per-hour")
        {
            Description = $"The most jobs that may have died in the last hour. The default is {defaults.MaxDeadPerHour}.",
            HelpName = "count",
        };
        var maxWal = new Option<long?>("--max-wal-size")
        {
            Description = $"The largest the WAL file may be, in bytes. The default is {defaults.MaxWalSize} ({DbCommands.Bytes(defaults.MaxWalSize ?? 0)}).",
            HelpName = "bytes",
        };
        var skip = new Option<string[]>("--skip")
        {
            Description = "Rules not to apply, e.g. --skip live-workers --skip integrity-check-age for a file no hosted worker runs on yet.",
            HelpName = string.Join('|', Rules.Keys),
            AllowMultipleArgumentsPerToken = true,
        };
        skip.AcceptOnlyFromAmong([.. Rules.Keys]);
        var command = new Command("health", $"Checks the queue by the library's health rules and prints every figure read. Exits {SqliteQueueExitCodes.ProblemsFound} when degraded or unhealthy.")
        {
            maxOldest, minWorkers, maxDead, maxWal, skip,
        };
        CommandActions.Set(command, tree, async c =>
        {
            // The other rules keep the library's defaults, so the tool judges the file as an application's health check does.
            var options = new QueueHealthOptions();
            options.MaxOldestRunnableAge = c.Get(maxOldest) ?? options.MaxOldestRunnableAge;
            options.MinLiveWorkers = c.Get(minWorkers) ?? options.MinLiveWorkers;
            options.MaxDeadPerHour = c.Get(maxDead) ?? options.MaxDeadPerHour;
            options.MaxWalSize = c.Get(maxWal) ?? options.MaxWalSize;
            foreach (var rule in c.Get(skip) ?? [])
            {
                Rules[rule](options);
            }

            Validate(options);

            var q = await c.QueueAsync().ConfigureAwait(false);
            var report = await q.Monitor.CheckHealthAsync(options, c.Cancel).ConfigureAwait(false);
            var exitCode = report.Status == QueueHealthStatus.Healthy ? SqliteQueueExitCodes.Success : SqliteQueueExitCodes.ProblemsFound;
            if (c.Out.Json)
            {
                c.Out.WriteJson(new
                {
                    report.Status,
                    report.CheckedAt,
                    problems = report.Problems,
                    data = new SortedDictionary<string, object>(report.Data.ToDictionary(), StringComparer.Ordinal),
                    error = report.Exception?.Message,
                });
                return exitCode;
            }

            c.Out.Line($"Status: {report.Status.ToString().ToLowerInvariant()} (checked {Output.Time(report.CheckedAt)})");
            if (report.Problems.Count > 0)
            {
                c.Out.Line();
                var problems = new TextTable("STATUS", "FIGURE", "PROBLEM");
                foreach (var p in report.Problems)
                {
                    problems.Add(p.Status.ToString().ToLowerInvariant(), p.Figure, p.Description);
                }

                problems.WriteTo(c.Out.Text);
            }

            c.Out.Line();
            var figures = new TextTable("FIGURE", "VALUE");
            foreach (var (name, value) in report.Data.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                figures.Add(name, Figure(value));
            }

            c.Out.Table(figures, "No figures could be read.");
            return exitCode;
        });
        return command;
    }

    /// <summary>The rules <c>--skip</c> turns off, by the names it takes.</summary>
    private static readonly IReadOnlyDictionary<string, Action<QueueHealthOptions>> Rules = new SortedDictionary<string, Action<QueueHealthOptions>>(StringComparer.Ordinal)
    {
        ["oldest-runnable-age"] = o => o.MaxOldestRunnableAge = null,
        ["live-workers"] = o => o.MinLiveWorkers = null,
        ["dead-per-hour"] = o => o.MaxDeadPerHour = null,
        ["wal-size"] = o => o.MaxWalSize = null,
        ["integrity-check-age"] = o => o.MaxIntegrityCheckAge = null,
        ["maintenance-age"] = o => o.MaxMaintenanceAge = null,
        ["broken-recurring-jobs"] = o => o.MaxBrokenRecurringJobs = null,
    };

    /// <summary>Range errors named by the flag the user typed, not by the option class behind it.</summary>
    private static void Validate(QueueHealthOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            var flag = ex.ParamName switch
            {
                $"{nameof(QueueHealthOptions)}.{nameof(QueueHealthOptions.MaxOldestRunnableAge)}" => "--max-oldest-runnable-age",
                $"{nameof(QueueHealthOptions)}.{nameof(QueueHealthOptions.MinLiveWorkers)}" => "--min-live-workers",
                $"{nameof(QueueHealthOptions)}.{nameof(QueueHealthOptions.MaxDeadPerHour)}" => "--max-dead-per-hour",
                $"{nameof(QueueHealthOptions)}.{nameof(QueueHealthOptions.MaxWalSize)}" => "--max-wal-size",
                _ => ex.ParamName,
            };
            var value = ex.ActualValue is TimeSpan t ? Durations.Format(t) : Convert.ToString(ex.ActualValue, CultureInfo.InvariantCulture);
            var reason = ex.Message.Split('\n')[0].Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal).Trim();
            throw CommandFailure.Usage($"{flag} {value} is out of range: {reason}");
        }
    }

    private static string Figure(object value) => value switch
    {
        bool b => b ? "true" : "false",
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Age(TimeSpan? age) => age is { } a ? Durations.Format(a) : "off";
}
