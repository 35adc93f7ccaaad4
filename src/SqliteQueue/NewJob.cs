namespace SqliteQueue;

/// <summary>A job to add with <see cref="IQueueClient.EnqueueManyAsync(IEnumerable{NewJob}, CancellationToken)"/>.</summary>
/// <param name="Type">The job type name that routes the job to its handler.</param>
/// <param name="PayloadJson">The payload as JSON text.</param>
/// <param name="Options">Per-job settings, or <see langword="null"/> for the defaults.</param>
public sealed record NewJob(string Type, string PayloadJson, EnqueueOptions? Options = null);
