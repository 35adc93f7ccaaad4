using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Recurring;
using SqliteQueue.Internal.Storage.Recurring;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// The SQLite store's side of the recurring seam (<see cref="IRecurringStore"/>): each recurring write is one item of
/// the group commit, each read one read beside the writer, and every operation forwards to <see cref="RecurringStore"/>.
/// </summary>
internal sealed partial class JobStore : IRecurringStore
{
    public Task<T> RecurringWriteAsync<TState, T>(TState state, Func<IRecurringWrites, TState, T> work, bool makesWorkDue, CancellationToken cancellationToken) =>
        WriteAsync(
            (state, work),
            static (s, tx, a) => a.work(new RecurringWrites(s, tx), a.state),
            makesWorkDue ? AnyQueue : null,
            cancellationToken);

    public Task<T> RecurringReadAsync<TState, T>(TState state, Func<IRecurringReads, TState, T> read, CancellationToken cancellationToken) =>
        ReadAsync((state, read), static (s, c, a) => a.read(new RecurringReads(s, c), a.state), cancellationToken);

    /// <summary>The recurring reads on a connection outside any transaction.</summary>
    private sealed class RecurringReads(JobStore s, SqliteConnection c) : IRecurringReads
    {
        public RecurringRow? Get(string name) => RecurringStore.Get(s, c, name);

        public List<RecurringRow> List() => RecurringStore.List(s, c);

        public List<RecurringLogRow> History(string name, int limit) => RecurringStore.History(s, c, name, limit);

        public long? NextDue() => RecurringStore.NextDue(s, c);
    }

    /// <summary>The recurring reads and writes inside one write transaction, on the writer.</summary>
    private sealed class RecurringWrites(JobStore s, SqliteTransaction tx) : IRecurringWrites
    {
        // SQLite refuses a command without the transaction while the connection has one open, so reads pass it too.
        private SqliteConnection Connection => tx.Connection!;

        public long NowMs => s.NowMs;

        public RecurringRow? Get(string name) => RecurringStore.Get(s, Connection, name, tx);

        public List<RecurringRow> List() => RecurringStore.List(s, Connection, tx);

        public List<RecurringLogRow> History(string name, int limit) => RecurringStore.History(s, Connection, name, limit, tx);

        public long? NextDue() => RecurringStore.NextDue(s, Connection, tx);

        public List<RecurringRow> Due(long now, int limit) => RecurringStore.Due(s, tx, now, limit);

        public List<string> CodeNames() => RecurringStore.CodeNames(s, tx);

        public void Insert(RecurringSpec spec, string source, long nextRunAt, long now) => RecurringStore.Insert(s, tx, spec, source, nextRunAt, now);

        public void Update(RecurringSpec spec, string source, string state, long? nextRunAt, string? lastError, long now) =>
            RecurringStore.Update(s, tx, spec, source, state, nextRunAt, lastError, now);

        public bool Delete(string name) => RecurringStore.Delete(s, tx, name);

        public void SetState(string name, string state, long? nextRunAt, string? lastError, long now) =>
            RecurringStore.SetState(s, tx, name, state, nextRunAt, lastError, now);

        public bool Advance(string name, long seen, long? next, long last, long? jobId, int fired, long now) =>
            RecurringStore.Advance(s, tx, name, seen, next, last, jobId, fired, now);

        public long? Blocker(string name, Overlap overlap) => RecurringStore.Blocker(s, tx, name, overlap);

        public long? InsertJob(RecurringSpec spec, long? occurrenceAt, long missed, long now) => RecurringStore.InsertJob(s, tx, spec, occurrenceAt, missed, now);

        public void Log(string name, long? occurrenceAt, RecurringOutcome outcome, long? jobId, string? detail, long now) =>
            RecurringStore.Log(s, tx, name, occurrenceAt, outcome, jobId, detail, now);

        public void TrimHistory(string name) => RecurringStore.TrimHistory(s, tx, name);
    }
}
