using System.Globalization;
using Microsoft.Extensions.Logging;

/// <summary>
/// Writes the library's log lines to stdout for the parent test: warnings and errors as
/// "warn &lt;level&gt; &lt;category&gt;: &lt;text&gt;" (for its report), anything lower that the host's filters let through as
/// "log &lt;event id&gt; &lt;text&gt;" (for it to wait on).
/// </summary>
internal sealed class EmitLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new EmitLogger(categoryName);

    public void Dispose()
    {
    }

    private sealed class EmitLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = (formatter(state, exception) + (exception is null ? "" : " (" + exception.GetType().Name + ": " + exception.Message + ")")).ReplaceLineEndings(" ");
            Program.Emit(logLevel >= LogLevel.Warning
                ? string.Create(CultureInfo.InvariantCulture, $"warn {logLevel} {category}: {text}")
                : string.Create(CultureInfo.InvariantCulture, $"log {eventId.Id} {text}"));
        }
    }
}
