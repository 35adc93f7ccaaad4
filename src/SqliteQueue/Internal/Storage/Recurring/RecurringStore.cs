using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Recurring;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Storage.Recurring;

/// <summary>
/// The recurring-job tables of one <see cref="JobStore"/>: the only code that knows their SQL. The scheduler's
/// logic (<see cref="RecurringTick"/>, <see cref="RecurringJobs"/>) reaches them through <see cref="IRecurringStore"/>,
/// whose SQLite side (<c>JobStore.Recurring.cs</c>) forwards each operation here inside the store's transactions.
/// </summary>
internal static class RecurringStore
{
    /// <summary>History entries kept per schedule; older ones are trimmed as new ones are written.</summary>
    public const int HistoryKept = IRecurringStore.HistoryKept;

    // ---- reads ----

    public static long? NextDue(JobStore s, SqliteConnection c, SqliteTransaction? tx = null) =>
        c.ExecuteScalar<long?>(new CommandDefinition(s.Sql[RecurringSql.NextDue], transaction: tx));

    public static RecurringRow? Get(JobStore s, SqliteConnection c, string name, SqliteTransaction? tx = null) =>
        c.QueryFirstOrDefault<RecurringRow>(new CommandDefinition(s.Sql[RecurringSql.Get], new { name }, tx));

    public static List<RecurringRow> List(JobStore s, SqliteConnection c, SqliteTransaction? tx = null) =>
        c.Query<RecurringRow>(new CommandDefinition(s.Sql[RecurringSql.List], transaction: tx)).AsList();

    public static List<RecurringLogRow> History(JobStore s, SqliteConnection c, string name, int limit, SqliteTransaction? tx = null) =>
        c.Query<RecurringLogRow>(new CommandDefinition(s.Sql[RecurringSql.History], new { name, limit }, tx)).AsList();

    // ---- writes (inside WriteAsync) ----

    public static List<RecurringRow> Due(JobStore s, SqliteTransaction tx, long now, int limit) =>
        tx.Connection!.Query<RecurringRow>(new CommandDefinition(s.Sql[RecurringSql.Due], new { now, limit }, tx)).AsList();

    public static List<string> CodeNames(JobStore s, SqliteTransaction tx) =>
        tx.Connection!.Query<string>(new CommandDefinition(s.Sql[RecurringSql.ListCode], transaction: tx)).AsList();

    public static void Insert(JobStore s, SqliteTransaction tx, RecurringSpec spec, string source, long nextRunAt, long now) =>
        tx.Connection!.Execute(new CommandDefinition(s.Sql[RecurringSql.Insert], Fields(spec, source, RecurringWords.Active, nextRunAt, null, now), tx));

    public static void Update(JobStore s, SqliteTransaction tx, RecurringSpec spec, string source, string state, long? nextRunAt, string? lastError, long now) =>
        tx.Connection!.Execute(new CommandDefinition(s.Sql[RecurringSql.Update], Fields(spec, source, state, nextRunAt, lastError, now), tx));

    public static bool Delete(JobStore s, SqliteTransaction tx, string name)
    {
        tx.Connection!.Execute(new CommandDefinition(s.Sql[RecurringSql.DeleteLog], new { name }, tx));
        return tx.Connection!.Execute(new CommandDefinition(s.Sql[RecurringSql.Delete], new { name }, tx)) > 0;
    }

    public static void SetState(JobStore s, SqliteTransaction tx, string name, string state, long? nextRunAt, string? lastError, long now) =>
        tx.Connection!.Execute(new CommandDefinition(s.Sql[RecurringSql.SetState], new { name, state, next_run_at = nextRunAt, last_error = lastError, now }, tx));

    // The statements below run once or more per fired occurrence: prepared once on the writer (JobStore.Raw), as the
    // hot paths are. The cold ones above go through Dapper.

    /// <summary>Moves a schedule past the occurrences up to <paramref name="last"/>; false when its row no longer says <paramref name="seen"/>.</summary>
    public static bool Advance(JobStore s, SqliteTransaction tx, string name, long seen, long? next, long last, long? jobId, int fired, long now)
    {
        var command = s.Raw(RecurringSql.Advance, tx);
        command.Set("@name", name);
        command.Set("@seen", seen);
        command.Set(command.Slot("@next"), next);
        command.Set("@last", last);
        command.Set(command.Slot("@job_id"), jobId);
        command.Set("@fired", fired);
        command.Set("@now", now);
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>A live job of the schedule that the overlap policy waits on, or null when the occurrence may fire.</summary>
    public static long? Blocker(JobStore s, SqliteTransaction tx, string name, Overlap overlap)
    {
        if (overlap == Overlap.Allow)
        {
            return null;
        }

        var command = s.Raw(overlap == Overlap.Skip ? RecurringSql.LiveJob : RecurringSql.PendingJob, tx);
        command.Set("@name", name);
        return command.ExecuteScalarInt64();
    }

    /// <summary>Enqueues a schedule's job, runnable now; null when the occurrence already has one.</summary>
    public static long? InsertJob(JobStore s, SqliteTransaction tx, RecurringSpec spec, long? occurrenceAt, long missed, long now)
    {
        s.Claims.NotePending(spec.Queue, spec.Priority, now);
        var command = s.Raw(RecurringSql.InsertJob, tx);
        command.Set("@queue", spec.Queue);
        command.Set("@type", spec.Type);
        command.Set("@payload", spec.Payload);
        command.Set("@priority", spec.Priority);
        command.Set("@max_attempts", spec.MaxAttempts ?? s.Options.DefaultMaxAttempts);
        command.Set(command.Slot("@timeout_ms"), spec.TimeoutMs);
        command.Set("@name", spec.Name);
        command.Set(command.Slot("@occurrence_at"), occurrenceAt);
        command.Set("@missed", missed);
        command.Set("@now", now);
        return command.ExecuteScalarInt64();
    }

    public static void Log(JobStore s, SqliteTransaction tx, string name, long? occurrenceAt, RecurringOutcome outcome, long? jobId, string? detail, long now)
    {
        var command = s.Raw(RecurringSql.InsertLog, tx);
        command.Set("@name", name);
        command.Set(command.Slot("@occurrence_at"), occurrenceAt);
        command.Set("@outcome", RecurringWords.Of(outcome));
        command.Set(command.Slot("@job_id"), jobId);
        command.Set("@now", now);
        command.Set("@detail", detail);
        command.ExecuteNonQuery();
    }

    /// <summary>Drops a schedule's history entries beyond the newest <see cref="HistoryKept"/>; once per schedule per write, after its entries.</summary>
    public static void TrimHistory(JobStore s, SqliteTransaction tx, string name)
    {
        var command = s.Raw(RecurringSql.TrimLog, tx);
        command.Set("@name", name);
        command.Set("@keep", HistoryKept);
        command.ExecuteNonQuery();
    }

    private static object Fields(RecurringSpec spec, string source, string state, long? nextRunAt, string? lastError, long now) => new
    {
        name = spec.Name,
        type = spec.Type,
        queue = spec.Queue,
        payload = spec.Payload,
        priority = spec.Priority,
        max_attempts = spec.MaxAttempts,
        timeout_ms = spec.TimeoutMs,
        schedule = spec.Schedule,
        time_zone = spec.TimeZone,
        misfire = RecurringWords.Of(spec.Misfire),
        misfire_grace_ms = spec.MisfireGraceMs,
        max_catch_up = spec.MaxCatchUp,
        overlap = RecurringWords.Of(spec.Overlap),
        state,
        source,
        next_run_at = nextRunAt,
        last_error = lastError,
        now,
    };
}
