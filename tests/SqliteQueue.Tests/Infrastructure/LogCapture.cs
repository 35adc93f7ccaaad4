using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SqliteQueue.Tests.Infrastructure;

/// <summary>Keeps every log entry written through the loggers it provides, at every level.</summary>
public sealed class LogCapture : ILoggerProvider, ILoggerFactory
{
    public ConcurrentQueue<Entry> Entries { get; } = new();

    public IEnumerable<Entry> WithId(int eventId) => Entries.Where(e => e.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public sealed record Entry(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Entries.Enqueue(new Entry(category, logLevel, eventId.Id, formatter(state, exception), exception));
    }
}
