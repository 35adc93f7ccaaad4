using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SqliteQueue.CommandLine.Internal;
using SqliteQueue.Recurring;

namespace SqliteQueue.CommandLine;

/// <summary><c>cron explain</c>: reads a schedule the way the scheduler will, without a queue file.</summary>
internal static class CronCommands
{
    public static Command Create(CommandTree tree) => new("cron", "Check schedule expressions before using them.") { Explain(tree) };

    private static Command Explain(CommandTree tree)
    {
        var expression = new Argument<string>("expression")
        {
            Description = "A cron expression (5 or 6 fields, or a macro such as @daily) or an interval (every 15 minutes, every 2 days at 09:30). Quote it.",
        };
        var zone = new Option<string>("--tz")
        {
            Description = "The time zone the schedule is read in: an IANA id (Europe/Berlin) or a Windows id.",
            HelpName = "zone",
            DefaultValueFactory = _ => "UTC",
        };
        var count = new Option<int>("--count", "-n")
        {
            Description = "How many occurrences to list, from 1 to 100.",
            HelpName = "count",
            DefaultValueFactory = _ => 5,
        };
        var from = new Option<DateTimeOffset?>("--from")
        {
            Description = "List the occurrences after this instant (ISO 8601, e.g. 2030-03-30T12:00Z; UTC unless an offset is given). The default is now.",
            HelpName = "time",
            CustomParser = ParseTime,
        };
        var command = new Command("explain", "Describes a schedule in words, warns of likely mistakes, and lists its next occurrences in UTC and in its zone.")
        {
            expression, zone, count, from,
        };

        // No queue is opened: the expression is checked by the same parser the scheduler uses, and nothing else is needed.
        CommandActions.Set(command, tree, c =>
        {
            var n = c.Get(count);
            if (n is < 1 or > 100)
            {
                throw CommandFailure.Usage($"--count must be from 1 to 100, not {n.ToString(CultureInfo.InvariantCulture)}.");
            }

            var schedule = RecurringSchedule.Parse(c.Get(expression)!, c.Get(zone)!);
            var start = c.Get(from) ?? TimeProvider.System.GetUtcNow();
            var next = schedule.Preview(start, n);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new
                {
                    schedule.Expression,
                    timeZone = schedule.TimeZoneId,
                    schedule.IsInterval,
                    description = schedule.Describe(),
                    schedule.Warning,
                    from = start,
                    occurrences = next.Select(t => new { utc = t.UtcDateTime, local = t }),
                });
                return Task.FromResult(SqliteQueueExitCodes.Success);
            }

            c.Out.Line(schedule.Describe());
            if (schedule.Warning is { } warning)
            {
                c.Out.Line($"Warning: {warning}");
            }

            c.Out.Line();
            c.Out.Line($"Next {Output.Number(n)} after {Output.Time(start)}:");
            RecurringCommands.WriteOccurrences(c.Out, next, schedule.TimeZoneId);
            return Task.FromResult(SqliteQueueExitCodes.Success);
        });
        return command;
    }

    private static DateTimeOffset? ParseTime(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var time))
        {
            return time;
        }

        result.AddError($"--from '{text}' is not a time: use ISO 8601, for example 2030-03-30T12:00Z or 2030-03-30T14:00+02:00.");
        return null;
    }
}
