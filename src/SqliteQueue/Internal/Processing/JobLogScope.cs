namespace SqliteQueue.Internal.Processing;

/// <summary>The fields every log line written while a handler runs carries.</summary>
internal sealed class JobLogScope(ClaimedJob job) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 4;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("JobId", job.Id),
        1 => new("Queue", job.Queue),
        2 => new("JobType", job.Type),
        3 => new("Attempt", job.Attempt),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"Job {job.Id} ({job.Type}) on {job.Queue}, attempt {job.Attempt}";
}
