namespace SqliteQueue.Dashboard.Internal;

/// <summary>A request parameter or body the dashboard refuses: answered with 400 and the message, which names the parameter.</summary>
internal sealed class BadRequestException(string message) : Exception(message);
