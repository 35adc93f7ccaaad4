namespace SqliteQueue.Internal.Storage;

/// <summary>The runnable priority classes of one queue as listed at <see cref="ListedAt"/>; see <c>ClaimEngine.RunnableClasses</c>.</summary>
/// <param name="Runnable">The classes with a job due at <see cref="ListedAt"/>, ascending.</param>
/// <param name="DataVersion">The writer's <c>PRAGMA data_version</c> when listed.</param>
/// <param name="ListedAt">When listed, store time in Unix milliseconds.</param>
/// <param name="ValidUntil">When a listed pending job that was not due yet comes due, or the list's lifetime ends.</param>
internal sealed record PriorityClassList(IReadOnlyList<int> Runnable, long DataVersion, long ListedAt, long ValidUntil);
