using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>One queued write: runs inside the leader's transaction, publishes its result after the commit.</summary>
internal abstract class WriteItem
{
    /// <summary>The queue this write makes jobs due on, if any; see <see cref="GroupCommit.ParkClaim"/>.</summary>
    public string? Wakes { get; init; }

    public abstract bool IsDone { get; }

    public abstract void Run(JobStore store, SqliteTransaction tx);

    public abstract void Reset();

    public abstract void Publish();

    public abstract void Fail(Exception ex);
}

internal abstract class WriteItem<T> : WriteItem
{
    protected TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => Completion.Task;

    public override bool IsDone => Completion.Task.IsCompleted;
}

internal sealed class WriteItem<TState, T>(TState state, Func<JobStore, SqliteTransaction, TState, T> work) : WriteItem<T>
{
    private bool _ran;
    private bool _failed;
    private T _result = default!;

    /// <summary>
    /// Called with the result on the committing thread, before the results of the writes after it in the batch are
    /// published: what it raises is seen before anything a later write of the same commit leads to (a claim of the job
    /// just inserted, say).
    /// </summary>
    public Action<T>? Committed { get; init; }

    public override void Run(JobStore store, SqliteTransaction tx)
    {
        _result = work(store, tx, state);
        _ran = true;
    }

    public override void Reset()
    {
        _ran = false;
        _failed = false;
    }

    public override void Publish()
    {
        if (_ran && !_failed)
        {
            Committed?.Invoke(_result);
            Completion.TrySetResult(_result);
        }
    }

    public override void Fail(Exception ex)
    {
        _failed = true;
        Completion.TrySetException(ex);
    }
}
