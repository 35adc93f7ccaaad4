namespace SqliteQueue.Samples.ConsoleWorker;

/// <summary>The job type names. They are stored with each job, so they never change when classes are renamed.</summary>
internal static class JobTypes
{
    public const string SendEmail = "email.send";
    public const string ResizeImage = "image.resize";
    public const string Housekeeping = "housekeeping";
}

/// <summary>The queue the recurring jobs go to; the worker serves it beside the default queue.</summary>
internal static class Queues
{
    public const string Recurring = "recurring";
}

/// <summary>The payload of an <c>email.send</c> job.</summary>
/// <param name="To">The recipient.</param>
/// <param name="Subject">The subject line.</param>
internal sealed record SendEmail(string To, string Subject);

/// <summary>The payload of an <c>image.resize</c> job.</summary>
/// <param name="Path">The image to resize.</param>
/// <param name="Width">The target width in pixels; zero or less can never succeed.</param>
/// <param name="FlakyFirstAttempt">Whether the handler throws on the first attempt, to show a retry.</param>
internal sealed record ResizeImage(string Path, int Width, bool FlakyFirstAttempt = false);

/// <summary>The payload of a <c>housekeeping</c> job, set once per schedule when it is declared.</summary>
/// <param name="Task">What to do.</param>
internal sealed record Housekeeping(string Task);
