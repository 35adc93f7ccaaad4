using Npgsql;
using SqliteQueue.Internal.Recurring;
using SqliteQueue.Internal.Storage.Recurring;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Recurring;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// The PostgreSQL store's side of the recurring seam (<see cref="IRecurringStore"/>): each recurring write is one
/// transaction of <see cref="WriteAsync"/> (run again whole when it loses a race), each read one short read.
/// </summary>
/// <remarks>
/// An occurrence fires once because the tick that fires it locks its schedule row, advances it with a
/// compare-and-set, and inserts its job under the jobs_occurrence unique index, all in one transaction: a second
/// scheduler skips the locked row, and one that gets past it anyway finds the occurrence taken and records it as
/// already fired. The work runs synchronously on the transaction's connection; the recurring tick is not a hot path.
/// </remarks>
internal sealed partial class PostgreSqlJobStore : IRecurringStore
{
    // PostgreSQL's serialization failure: WriteAsync runs a transaction that raises it again whole.
    private const string SerializationFailure = "40001";

    public Task<T> RecurringWriteAsync<TState, T>(TState state, Func<IRecurringWrites, TState, T> work, bool makesWorkDue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return WriteAsync(
            (state, work, makesWorkDue),
            static (tx, a, _) => Task.FromResult(a.work(new RecurringWrites(tx, a.makesWorkDue), a.state)),
            cancellationToken);
    }

    public Task<T> RecurringReadAsync<TState, T>(TState state, Func<IRecurringReads, TState, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        return ReadAsync(
            (store: this, state, read),
            static (connection, a, _) => Task.FromResult(a.read(new RecurringReads(a.store, connection), a.state)),
            cancellationToken);
    }

    private static RecurringRow ReadSchedule(NpgsqlDataReader r) => new()
    {
        Name = r.GetString(0),
        Type = r.GetString(1),
        Queue = r.GetString(2),
        Payload = r.GetString(3),
        Priority = r.GetInt64(4),
        MaxAttempts = r.IsDBNull(5) ? null : r.GetInt64(5),
        TimeoutMs = r.IsDBNull(6) ? null : r.GetInt64(6),
        Schedule = r.GetString(7),
        TimeZone = r.GetString(8),
        Misfire = r.GetString(9),
        MisfireGraceMs = r.GetInt64(10),
        MaxCatchUp = r.GetInt64(11),
        Overlap = r.GetString(12),
        State = r.GetString(13),
        Source = r.GetString(14),
        NextRunAt = r.IsDBNull(15) ? null : r.GetInt64(15),
        LastOccurrence = r.IsDBNull(16) ? null : r.GetInt64(16),
        LastJobId = r.IsDBNull(17) ? null : r.GetInt64(17),
        Occurrences = r.GetInt64(18),
        LastError = r.IsDBNull(19) ? null : r.GetString(19),
        CreatedAt = r.GetInt64(20),
        UpdatedAt = r.GetInt64(21),
    };

    private static RecurringLogRow ReadLog(NpgsqlDataReader r) => new()
    {
        Name = r.GetString(0),
        OccurrenceAt = r.IsDBNull(1) ? null : r.GetInt64(1),
        Outcome = r.GetString(2),
        JobId = r.IsDBNull(3) ? null : r.GetInt64(3),
        At = r.GetInt64(4),
        Detail = r.IsDBNull(5) ? null : r.GetString(5),
    };

    private static List<T> Query<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> map)
    {
        using (command)
        {
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read())
            {
                rows.Add(map(reader));
            }

            return rows;
        }
    }

    private static long? ScalarInt64(NpgsqlCommand command)
    {
        using (command)
        {
            return command.ExecuteScalar() is long value ? value : null;
        }
    }

    private static int Execute(NpgsqlCommand command)
    {
        using (command)
        {
            return command.ExecuteNonQuery();
        }
    }

    /// <summary>The reads, on a command factory that is either a read connection or a write transaction.</summary>
    private abstract class RecurringReadsBase(Func<string, NpgsqlCommand> command) : IRecurringReads
    {
        protected NpgsqlCommand Command(string template) => command(template);

        public virtual RecurringRow? Get(string name)
        {
            var rows = Query(Command(PgSql.RecurringGet).With(Params.Text("name", name)), ReadSchedule);
            return rows.Count == 0 ? null : rows[0];
        }

        public List<RecurringRow> List() => Query(Command(PgSql.RecurringList), ReadSchedule);

        public List<RecurringLogRow> History(string name, int limit) =>
            Query(Command(PgSql.RecurringHistory).With(Params.Text("name", name), Params.Integer("limit", limit)), ReadLog);

        public long? NextDue() => ScalarInt64(Command(PgSql.RecurringNextDue));
    }

    /// <summary>The recurring reads on a pooled connection outside any transaction.</summary>
    private sealed class RecurringReads(PostgreSqlJobStore store, NpgsqlConnection connection)
        : RecurringReadsBase(template => store.Command(template, connection));

    /// <summary>The recurring reads and writes inside one write transaction.</summary>
    private sealed class RecurringWrites(WriteTx tx, bool makesWorkDue) : RecurringReadsBase(tx.Command), IRecurringWrites
    {
        private readonly PostgreSqlJobStore _store = tx.Store;

        public long NowMs => _store.NowMs;

        // Locked: whatever this transaction writes from the row is not undone by another writer that read it too.
        public override RecurringRow? Get(string name)
        {
            var rows = Query(Command(PgSql.RecurringGetForUpdate).With(Params.Text("name", name)), ReadSchedule);
            return rows.Count == 0 ? null : rows[0];
        }

        public List<RecurringRow> Due(long now, int limit) =>
            Query(Command(PgSql.RecurringDue).With(Params.Bigint("ts", now), Params.Integer("limit", limit)), ReadSchedule);

        public List<string> CodeNames() => Query(Command(PgSql.RecurringCodeNames), static r => r.GetString(0));

        public void Insert(RecurringSpec spec, string source, long nextRunAt, long now)
        {
            if (Execute(Command(PgSql.RecurringInsert).With(Fields(spec, source, RecurringWords.Active, nextRunAt, null, now))) == 0)
            {
                // Another transaction added this name after this one looked for it: run again whole, and find it then.
                throw new PostgresException($"Recurring job '{spec.Name}' was added concurrently.", "ERROR", "ERROR", SerializationFailure);
            }
        }

        public void Update(RecurringSpec spec, string source, string state, long? nextRunAt, string? lastError, long now) =>
            Execute(Command(PgSql.RecurringUpdate).With(Fields(spec, source, state, nextRunAt, lastError, now)));

        public bool Delete(string name)
        {
            Execute(Command(PgSql.RecurringDeleteLog).With(Params.Text("name", name)));
            return Execute(Command(PgSql.RecurringDelete).With(Params.Text("name", name))) > 0;
        }

        public void SetState(string name, string state, long? nextRunAt, string? lastError, long now) =>
            Execute(Command(PgSql.RecurringSetState).With(
                Params.Text("name", name), Params.Text("state", state), Params.Bigint("next_run_at", nextRunAt),
                Params.Text("last_error", lastError), Params.Bigint("ts", now)));

        public bool Advance(string name, long seen, long? next, long last, long? jobId, int fired, long now) =>
            Execute(Command(PgSql.RecurringAdvance).With(
                Params.Text("name", name), Params.Bigint("seen", seen), Params.Bigint("next", next), Params.Bigint("last", last),
                Params.Bigint("job_id", jobId), Params.Integer("fired", fired), Params.Bigint("ts", now))) == 1;

        public long? Blocker(string name, Overlap overlap) => overlap == Overlap.Allow
            ? null
            : ScalarInt64(Command(overlap == Overlap.Skip ? PgSql.RecurringLiveJob : PgSql.RecurringPendingJob).With(Params.Text("name", name)));

        public long? InsertJob(RecurringSpec spec, long? occurrenceAt, long missed, long now)
        {
            var id = ScalarInt64(Command(PgSql.RecurringInsertJob).With(
                Params.Text("queue", spec.Queue), Params.Text("type", spec.Type), Params.Text("payload", spec.Payload),
                Params.Integer("priority", spec.Priority), Params.Integer("max_attempts", spec.MaxAttempts ?? _store.Options.DefaultMaxAttempts),
                Params.Bigint("timeout_ms", spec.TimeoutMs), Params.Text("name", spec.Name), Params.Bigint("occurrence_at", occurrenceAt),
                Params.Integer("missed", checked((int)missed)), Params.Bigint("run_at", _store._systemClock ? null : now)));
            // The scheduler logs what it fired once committed; this only wakes other processes' idle workers.
            if (id is not null && makesWorkDue)
            {
                tx.MakesDue(spec.Queue);
            }

            return id;
        }

        public void Log(string name, long? occurrenceAt, RecurringOutcome outcome, long? jobId, string? detail, long now) =>
            Execute(Command(PgSql.RecurringInsertLog).With(
                Params.Text("name", name), Params.Bigint("occurrence_at", occurrenceAt), Params.Text("outcome", RecurringWords.Of(outcome)),
                Params.Bigint("job_id", jobId), Params.Bigint("ts", now), Params.Text("detail", detail)));

        public void TrimHistory(string name) =>
            Execute(Command(PgSql.RecurringTrimLog).With(Params.Text("name", name), Params.Integer("keep", IRecurringStore.HistoryKept)));

        private static NpgsqlParameter[] Fields(RecurringSpec spec, string source, string state, long? nextRunAt, string? lastError, long now) =>
        [
            Params.Text("name", spec.Name), Params.Text("type", spec.Type), Params.Text("queue", spec.Queue), Params.Text("payload", spec.Payload),
            Params.Integer("priority", spec.Priority), Params.Integer("max_attempts", spec.MaxAttempts), Params.Bigint("timeout_ms", spec.TimeoutMs),
            Params.Text("schedule", spec.Schedule), Params.Text("time_zone", spec.TimeZone), Params.Text("misfire", RecurringWords.Of(spec.Misfire)),
            Params.Bigint("misfire_grace_ms", spec.MisfireGraceMs), Params.Integer("max_catch_up", spec.MaxCatchUp),
            Params.Text("overlap", RecurringWords.Of(spec.Overlap)), Params.Text("state", state), Params.Text("source", source),
            Params.Bigint("next_run_at", nextRunAt), Params.Text("last_error", lastError), Params.Bigint("ts", now),
        ];
    }
}
