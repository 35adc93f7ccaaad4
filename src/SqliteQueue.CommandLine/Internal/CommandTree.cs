using System.CommandLine;
using System.CommandLine.Parsing;

namespace SqliteQueue.CommandLine.Internal;

/// <summary>The commands every tree shares, the options they have in common, and where their queue comes from.</summary>
internal sealed class CommandTree(QueueSource source)
{
    public QueueSource Source => source;

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print one JSON document (for scripts) instead of text.",
        Recursive = true,
    };

    public RootCommand Build(string description, params Command[] first)
    {
        var root = new RootCommand(description);
        root.Options.Add(Json);
        source.AddOptions(root);
        foreach (var command in first)
        {
            root.Subcommands.Add(command);
        }

        foreach (var command in new[]
        {
            StatsCommands.Stats(this),
            StatsCommands.Queues(this),
            JobsCommands.Create(this),
            EnqueueCommand.Create(this),
            RecurringCommands.Create(this),
            CronCommands.Create(this),
            DbCommands.Create(this),
            MonitorCommands.Workers(this),
            MonitorCommands.Health(this),
        })
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>The top-level command names, for an application that routes its own command line.</summary>
    public static readonly IReadOnlySet<string> TopLevel = new HashSet<string>(StringComparer.Ordinal)
    {
        "worker", "stats", "queues", "jobs", "enqueue", "recurring", "cron", "db", "workers", "health",
    };

    public static Option<bool> Yes() => new("--yes", "-y") { Description = "Do it without asking. Without it the command asks, and refuses when input is not a terminal." };

    public static Option<bool> DryRun() => new("--dry-run") { Description = "Say what would be done, and change nothing." };

    public static Option<string> Queue(string description = "Only jobs of this queue.") => new("--queue", "-q") { Description = description, HelpName = "name" };

    public static Option<string> Type(string description = "Only jobs of this type.") => new("--type", "-t") { Description = description, HelpName = "type" };

    public static Option<JobState?> State(string description) => new("--state", "-s") { Description = description, HelpName = "pending|running|completed|dead|cancelled" };

    public static Option<TimeSpan?> Duration(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "duration",
        CustomParser = ParseDuration,
    };

    public static Argument<long[]> Ids(string description) => new("id")
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static TimeSpan? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        if (Durations.TryParse(text, out var duration))
        {
            return duration;
        }

        result.AddError($"'{text}' is not a duration: use for example 500ms, 90s, 15m, 2h, 7d, 1w or 01:30:00.");
        return null;
    }
}
