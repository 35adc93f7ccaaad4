using System.CommandLine;

namespace SqliteQueue.CommandLine.Internal;

/// <summary>One run of one command: its parsed values, its output, and the queue, opened on first use and closed at the end.</summary>
internal sealed class CommandContext(ParseResult result, Output output, QueueSource source, CancellationToken cancellationToken) : IAsyncDisposable
{
    private OpenedQueue? _opened;

    public ParseResult Result { get; } = result;

    public Output Out { get; } = output;

    public CancellationToken Cancel { get; } = cancellationToken;

    /// <summary>Now, for options given as an age (<c>--older-than 7d</c>).</summary>
    public DateTimeOffset Now { get; } = TimeProvider.System.GetUtcNow();

    public T? Get<T>(Option<T> option) => Result.GetValue(option);

    public T? Get<T>(Argument<T> argument) => Result.GetValue(argument);

    /// <summary>The queue, checked to be of this version (see <see cref="QueueSource.OpenAsync"/>).</summary>
    public async Task<SqliteJobQueue> QueueAsync(bool migrate = false)
    {
        _opened ??= await source.OpenAsync(Result, migrate, Cancel).ConfigureAwait(false);
        return _opened.Queue;
    }

    /// <summary>The file the queue lives in, once opened; null in memory.</summary>
    public string? QueuePath => _opened?.Path;

    /// <summary>
    /// Asks before a destructive change. <c>--yes</c> answers for the user; without it the question goes to the terminal,
    /// and a command whose input is not a terminal (a script, a pipe) is refused rather than left waiting.
    /// </summary>
    public void Confirm(Option<bool> yes, string question)
    {
        if (Get(yes))
        {
            return;
        }

        if (Console.IsInputRedirected)
        {
            throw new CommandFailure(SqliteQueueExitCodes.NotConfirmed, $"{question} Refused: input is not a terminal. Pass --yes to confirm, or --dry-run to see what it would do.");
        }

        Out.ErrorText.Write($"{question} [y/N] ");
        var answer = Console.ReadLine()?.Trim();
        if (!string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) && !string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase))
        {
            throw new CommandFailure(SqliteQueueExitCodes.NotConfirmed, "Not confirmed: nothing was changed.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_opened is not null)
        {
            await _opened.DisposeAsync().ConfigureAwait(false);
        }
    }
}
