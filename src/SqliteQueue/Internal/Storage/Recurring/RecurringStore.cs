using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Recurring;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Storage.Recurring;

/// <summary>
/// The recurring-job tables of one <see cref="JobStore"/>: the only code that knows their SQL. The scheduler's
/// logic (<see cref="RecurringTick"/>, <see cref="RecurringJobs"/>) calls these inside the store's transactions and
/// would call the same operations on another store.
/// </summary>
internal static class RecurringStore
{
    /// <summary>History entries kept per schedule; older ones are trimmed as new ones are written.</summary>
    public const int HistoryKept = 1000;

    // ---- reads ----

    public static long? NextDue(JobStore s, SqliteConnection c) =>
        c.ExecuteScalar<long?>(new CommandDefinition(s.Sql[RecurringSql.NextDue]));

    public static RecurringRow? Get(JobStore s, SqliteConnection c, string name, SqliteTransaction? tx = null) =>
        c.QueryFirstOrDefault<RecurringRow>(new CommandDefinition(s.Sql[RecurringSql.Get], new { name }, tx));

    public static List<RecurringRow> List(JobStore s, SqliteConnection c) =>
        c.Query<RecurringRow>(new CommandDefinition(s.Sql[RecurringSql.List])).AsList();

    public static List<RecurringLogRow> History(JobStore s, SqliteConnection c, string name, int limit) =>
        c.Query<RecurringLogRow>(new CommandDefinition(s.Sql[RecurringSql.History], new { name, limit })).AsList();

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

    /// <summary>Moves a schedule past the occurrences up to <paramref name="last"/>; false when its row no longer says <paramref name="seen"/>.</summary>
    public static bool Advance(JobStore s, SqliteTransaction tx, string name, long seen, long? next, long last, long? jobId, int fired, long now) =>
        tx.Connection!.Execute(new CommandDefinition(
            s.Sql[RecurringSql.Advance], new { name, seen, next, last, job_id = jobId, fired, now }, tx)) == 1;

    /// <summary>A live job of the schedule that the overlap policy waits on, or null when the occurrence may fire.</summary>
    public static long? Blocker(JobStore s, SqliteTransaction tx, string name, Overlap overlap) => overlap switch
    {
        Overlap.Skip => tx.Connection!.ExecuteScalar<long?>(new CommandDefinition(s.Sql[RecurringSql.LiveJob], new { name }, tx)),
        Overlap.QueueOne => tx.Connection!.ExecuteScalar<long?>(new CommandDefinition(s.Sql[RecurringSql.PendingJob], new { name }, tx)),
        _ => null,
    };

    /// <summary>Enqueues a schedule's job, runnable now; null when the occurrence already has one.</summary>
    public static long? InsertJob(JobStore s, SqliteTransaction tx, RecurringSpec spec, long? occurrenceAt, long missed, long now)
    {
        s.Claims.NotePending(spec.Queue, spec.Priority, now);
        return tx.Connection!.ExecuteScalar<long?>(new CommandDefinition(s.Sql[RecurringSql.InsertJob], new
        {
            queue = spec.Queue,
            type = spec.Type,
            payload = spec.Payload,
            priority = spec.Priority,
            max_attempts = spec.MaxAttempts ?? s.Options.DefaultMaxAttempts,
            timeout_ms = spec.TimeoutMs,
            name = spec.Name,
            occurrence_at = occurrenceAt,
            missed,
            now,
        }, tx));
    }

    public static void Log(JobStore s, SqliteTransaction tx, string name, long? occurrenceAt, RecurringOutcome outcome, long? jobId, string? detail, long now)
    {
        tx.Connection!.Execute(new CommandDefinition(s.Sql[RecurringSql.InsertLog], new
        {
            name,
            occurrence_at = occurrenceAt,
            outcome = RecurringWords.Of(outcome),
            job_id = jobId,
            now,
            detail,
        }, tx));
    }

    /// <summary>Drops a schedule's history entries beyond the newest <see cref="HistoryKept"/>; once per schedule per write, after its entries.</summary>
    public static void TrimHistory(JobStore s, SqliteTransaction tx, string name) =>
        tx.Connection!.Execute(new CommandDefinition(s.Sql[RecurringSql.TrimLog], new { name, keep = HistoryKept }, tx));

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
