using System.Globalization;
using System.Text;

namespace SqliteQueue.Internal;

/// <summary>Every message the library throws with, in one place, so tests can assert the exact text.</summary>
internal static class Errors
{
    public static string NotADatabase(string dataSource) =>
        $"The file '{dataSource}' is not a SQLite database. SqliteQueue left it unchanged; point ConnectionString at a new or existing SQLite file.";

    public static string NotADatabaseHeader(string dataSource, long length) =>
        $"The file '{dataSource}' is not a SQLite database: it is {length.ToString(CultureInfo.InvariantCulture)} {(length == 1 ? "byte" : "bytes")} long and does not start with the SQLite header \"SQLite format 3\\0\". " +
        "SqliteQueue left it unchanged; point ConnectionString at a new or existing SQLite file.";

    public static string SchemaTooNew(string dataSource, int found, int supported) =>
        $"The queue database '{dataSource}' has schema version {found}, but this SqliteQueue supports up to version {supported}. " +
        "It was written by a newer SqliteQueue (or another program uses PRAGMA user_version in this file); it was left unchanged. Upgrade the package or use another file.";

    public static string SqliteFileOnly(string operation, string instead) =>
        $"{operation} works on the SQLite store's file and this store has none; on a server database, use {instead}.";

    public static string Busy(string dataSource, int attempts) =>
        $"The queue database '{dataSource}' stayed locked by another connection through {attempts} attempts; the operation was not applied.";

    public static string InvalidName(string what, string? value, int maxLength) =>
        $"The {what} must be 1 to {maxLength.ToString(CultureInfo.InvariantCulture)} characters, at least one of them visible (not only white space or invisible characters), with no control characters and no unpaired surrogates; got {Show(value)}.";

    public static string InvalidKey(string? value, int maxLength) =>
        $"The deduplication key must be 1 to {maxLength.ToString(CultureInfo.InvariantCulture)} characters, at least one of them visible (not only white space or invisible characters), with no NUL and no unpaired surrogates; got {Show(value)}.";

    public static string PayloadTooLong(int length, int max) =>
        $"The payload is {length.ToString(CultureInfo.InvariantCulture)} characters; the limit is {max.ToString(CultureInfo.InvariantCulture)} (SqliteQueueOptions.MaxPayloadLength). Store large data elsewhere and enqueue a reference to it.";

    public static string PayloadNotWellFormed =>
        "The payload contains an unpaired UTF-16 surrogate, which cannot be stored unchanged.";

    public static string PayloadNotJson(string detail) =>
        $"The payload is not one well-formed JSON value: {detail}";

    public static string DelayAndRunAt =>
        "Set either Delay or RunAt, not both.";

    public static string DuplicateOnRetry(long jobId, long holder) =>
        $"Job {jobId.ToString(CultureInfo.InvariantCulture)} cannot be retried: job {holder.ToString(CultureInfo.InvariantCulture)} on the same queue holds its deduplication key and is pending or running.";

    public static string JobNotFound(long jobId) =>
        $"There is no job with id {jobId.ToString(CultureInfo.InvariantCulture)}.";

    public static string UnknownJobType(string type, IReadOnlyList<string> known) =>
        $"No handler is registered for job type {Show(type)}. Registered types: {(known.Count == 0 ? "(none)" : string.Join(", ", known.Select(Show)))}. " +
        "Call .AddHandler<TPayload, THandler>(\"<type>\") on AddSqliteQueue(), or do not run a worker for this queue in this process.";

    public static string CreatedRangeEmpty(DateTimeOffset after, DateTimeOffset before) =>
        $"JobQuery.CreatedAfter ({after.ToString("O", CultureInfo.InvariantCulture)}) must be earlier than JobQuery.CreatedBefore ({before.ToString("O", CultureInfo.InvariantCulture)}), " +
        "or no job could match. Swap them, or leave one unset for an open-ended range.";

    public static string EmptyIdWindow(long afterId, long beforeId) =>
        $"JobQuery.BeforeId ({beforeId.ToString(CultureInfo.InvariantCulture)}) must be greater than JobQuery.AfterId + 1 ({(afterId + 1).ToString(CultureInfo.InvariantCulture)}), " +
        "or no job could match. Raise it, or leave it null for no upper bound.";

    public static string InvalidPayloadContains(string value) =>
        $"JobQuery.PayloadContains must be 1 to 200 characters with no NUL; got {Show(value)} ({value.Length.ToString(CultureInfo.InvariantCulture)} characters). Search for a shorter text, or leave it null to match any payload.";

    public static string ThroughputBucket(TimeSpan bucket) =>
        $"The bucket must be a whole number of minutes from 1 minute to 1 day; got {bucket.ToString("c", CultureInfo.InvariantCulture)}. Round it to whole minutes, e.g. TimeSpan.FromMinutes(5).";

    public static string ThroughputSince(DateTimeOffset since, DateTimeOffset earliest) =>
        $"since must be no more than 31 days before now; got {since.ToString("O", CultureInfo.InvariantCulture)}, and the earliest allowed is {earliest.ToString("O", CultureInfo.InvariantCulture)}. The series is kept for the longest retention (at least 14 days); ask for a later start.";

    public static string JobTimedOut(TimeSpan timeout) =>
        $"The job timed out after {timeout} (EnqueueOptions.Timeout); its handler's cancellation token was cancelled.";

    public static string JobCancelledWhileRunning =>
        "The job was cancelled while it was running.";

    public static string PayloadIsJsonNull(long jobId, string typeName) =>
        $"The payload of job {jobId.ToString(CultureInfo.InvariantCulture)} is JSON null; a {typeName} was expected.";

    public static string MiddlewareReturnedNull(string middleware) =>
        $"Middleware {middleware} returned a null Task. Return the task of next(context), or Task.CompletedTask to end the job without running its handler.";

    public static string ForeignMiddlewareContext =>
        "The handler pipeline was given a JobMiddlewareContext it did not create. A middleware must pass on the context it received: next(context).";

    public static string StorageFailed(string dataSource, int sqliteCode, string detail) =>
        $"The queue database '{dataSource}' could not be read or written ({StorageCause(sqliteCode)}); the operation was not applied and nothing committed was lost. SQLite said: {detail}";

    public static string StoreFailed(string dataSource, int sqliteCode, string detail) =>
        $"The queue database '{dataSource}' failed the operation with SQLite error {sqliteCode.ToString(CultureInfo.InvariantCulture)}; it was not applied. SQLite said: {detail}";

    private static string StorageCause(int sqliteCode) => sqliteCode switch
    {
        13 => "the disk is full",
        8 => "the file is read-only",
        10 => "an I/O error",
        11 or 26 => "the file is damaged",
        14 => "the file cannot be opened",
        _ => "SQLite error " + sqliteCode.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// What a job's last error and an execution's error hold for an exception: its message on the first line, so the
    /// text reads like the errors the library writes itself, then a blank line and the exception as .NET prints it
    /// (type, message, inner exceptions and stack trace).
    /// </summary>
    public static string Describe(Exception ex) => ex.Message + "\n\n" + ex;

    public static string InvalidWeight(string strategy, int priority, double weight) =>
        $"The scheduling strategy '{strategy}' (WeightedRandomStrategy) got weight {weight.ToString("R", CultureInfo.InvariantCulture)} for priority {priority.ToString(CultureInfo.InvariantCulture)} from its weight function; " +
        "a weight must be finite and greater than zero. Fix the function passed to new WeightedRandomStrategy(weightOf); no job was claimed.";

    /// <summary>A value quoted for a message: cut to 60 characters; control, surrogate and invisible characters (but the plain space) escaped.</summary>
    public static string Show(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var builder = new StringBuilder("'");
        foreach (var c in value.Length > 60 ? value[..60] : value)
        {
            if (char.IsControl(c) || char.IsSurrogate(c) || (c != ' ' && Guard.IsInvisible(c)))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        builder.Append('\'');
        if (value.Length > 60)
        {
            builder.Append(CultureInfo.InvariantCulture, $"... ({value.Length} characters)");
        }

        return builder.ToString();
    }
}
