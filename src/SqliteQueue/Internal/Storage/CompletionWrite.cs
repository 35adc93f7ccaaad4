using Microsoft.Data.Sqlite;

namespace SqliteQueue.Internal.Storage;

/// <summary>What a <see cref="CompletionWrite"/> did: which jobs it completed, how the held jobs' starts went, and when.</summary>
internal readonly record struct CompletionResult(bool[] Applied, HeldStart[] Started, long NowMs);

/// <summary>
/// A write of completions (and of the starts of the held jobs taking their slots), which the group commit knows by
/// its kind: completion writes that follow each other in one commit are run together (<see cref="RunTogether"/>), their
/// jobs completed by one set-based statement, where other writes run one by one. Each write still gets its own
/// result, and a failure of the joint run falls back to running each write alone under its own savepoint.
/// </summary>
internal sealed class CompletionWrite(IReadOnlyList<ClaimedJob> completed, IReadOnlyList<ClaimedJob> starting) : WriteItem<CompletionResult>
{
    private bool _ran;
    private bool _failed;
    private CompletionResult _result;

    public IReadOnlyList<ClaimedJob> Completed { get; } = completed;

    public IReadOnlyList<ClaimedJob> Starting { get; } = starting;

    public override void Run(JobStore store, SqliteTransaction tx)
    {
        var now = store.NowMs;
        var applied = store.CompleteMany(tx, Completed, now);
        _result = new CompletionResult(applied, Start(store, tx, now), now);
        _ran = true;
    }

    /// <summary>
    /// Runs the <paramref name="count"/> completion writes from <paramref name="start"/> in <paramref name="batch"/> as
    /// one: their completions in one set-based statement, in their order, then the starts of each. Nothing is
    /// published here; a failure leaves every one of them unrun, for the caller to undo and run one by one.
    /// </summary>
    public static void RunTogether(JobStore store, SqliteTransaction tx, List<WriteItem> batch, int start, int count)
    {
        var now = store.NowMs;
        var jobs = new List<ClaimedJob>();
        for (var i = start; i < start + count; i++)
        {
            jobs.AddRange(((CompletionWrite)batch[i]).Completed);
        }

        var applied = store.CompleteMany(tx, jobs, now);
        var results = new CompletionResult[count];
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            var write = (CompletionWrite)batch[start + i];
            var own = applied.AsSpan(offset, write.Completed.Count).ToArray();
            offset += own.Length;
            results[i] = new CompletionResult(own, write.Start(store, tx, now), now);
        }

        for (var i = 0; i < count; i++)
        {
            var write = (CompletionWrite)batch[start + i];
            write._result = results[i];
            write._ran = true;
        }
    }

    private HeldStart[] Start(JobStore store, SqliteTransaction tx, long now)
    {
        if (Starting.Count == 0)
        {
            return [];
        }

        var started = new HeldStart[Starting.Count];
        for (var i = 0; i < started.Length; i++)
        {
            started[i] = store.StartHeld(tx, Starting[i].Id, Starting[i].LeaseToken, now);
        }

        return started;
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
            Completion.TrySetResult(_result);
        }
    }

    public override void Fail(Exception ex)
    {
        _failed = true;
        Completion.TrySetException(ex);
    }
}
