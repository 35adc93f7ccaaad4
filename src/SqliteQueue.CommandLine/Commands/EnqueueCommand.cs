using System.CommandLine;
using System.Globalization;
using SqliteQueue.CommandLine.Internal;

namespace SqliteQueue.CommandLine;

/// <summary><c>enqueue</c>: adds one job, with every enqueue option, its payload given inline, from a file or from standard input.</summary>
internal static class EnqueueCommand
{
    public static Command Create(CommandTree tree)
    {
        var type = new Argument<string>("type") { Description = "The job type, as the handlers are registered." };
        var payload = new Option<string>("--payload", "-p")
        {
            Description = "The payload: JSON text, @file.json to read a file, or @- to read standard input. The default is {}.",
            HelpName = "json|@file|@-",
        };
        var queue = CommandTree.Queue("The queue. The default is 'default'.");
        var priority = new Option<int?>("--priority") { Description = "Higher runs first under the priority strategy.", HelpName = "n" };
        var delay = CommandTree.Duration("--delay", "Run no sooner than this long from now, e.g. 5m.");
        var runAt = new Option<DateTimeOffset?>("--run-at") { Description = "Run no sooner than this time, e.g. 2026-12-24T09:00:00Z.", HelpName = "time" };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "Attempts before the job is dead. The default is the queue's.", HelpName = "n" };
        var timeout = CommandTree.Duration("--timeout", "Cancel an attempt that runs longer than this.");
        var dedup = new Option<string>("--dedup-key") { Description = "While a pending or running job holds this key, enqueueing again returns that job's id.", HelpName = "key" };
        var command = new Command("enqueue", "Add a job.") { type, payload, queue, priority, delay, runAt, maxAttempts, timeout, dedup };
        CommandActions.Set(command, tree, async c =>
        {
            if (c.Get(delay) is not null && c.Get(runAt) is not null)
            {
                throw CommandFailure.Usage("Give --delay or --run-at, not both.");
            }

            var json = await ReadPayloadAsync(c.Get(payload), c.Cancel).ConfigureAwait(false);
            var options = new EnqueueOptions
            {
                Queue = c.Get(queue) ?? QueueNames.Default,
                Priority = c.Get(priority) ?? 0,
                Delay = c.Get(delay),
                RunAt = c.Get(runAt),
                MaxAttempts = c.Get(maxAttempts),
                Timeout = c.Get(timeout),
                DeduplicationKey = c.Get(dedup),
            };
            var q = await c.QueueAsync().ConfigureAwait(false);
            var id = await q.Client.EnqueueJsonAsync(c.Get(type)!, json, options, c.Cancel).ConfigureAwait(false);
            if (c.Out.Json)
            {
                c.Out.WriteJson(new { id });
            }
            else
            {
                c.Out.Line(id.ToString(CultureInfo.InvariantCulture));
            }

            return SqliteQueueExitCodes.Success;
        });
        return command;
    }

    private static async Task<string> ReadPayloadAsync(string? payload, CancellationToken cancellationToken)
    {
        if (payload is null)
        {
            return "{}";
        }

        if (payload == "@-")
        {
            return await Console.In.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        if (payload.StartsWith('@'))
        {
            var path = payload[1..];
            if (!File.Exists(path))
            {
                throw CommandFailure.Usage($"--payload: there is no file '{path}'.");
            }

            return await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        }

        return payload;
    }
}
