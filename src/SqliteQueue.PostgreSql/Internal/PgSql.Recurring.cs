namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// The recurring-job statements. Their times are the caller's (<c>@ts</c>, read once per transaction by the recurring
/// logic), never <c>@now</c>: a schedule's occurrences are computed in the process, and the rows must agree with them.
/// Only a fired job's run time follows the database's clock on the system clock, as every other insert's does.
/// </summary>
internal static partial class PgSql
{
    private const string SelectSchedule =
        "SELECT name, type, queue, payload, priority::bigint, max_attempts::bigint, timeout_ms, schedule, time_zone, misfire, "
        + "misfire_grace_ms, max_catch_up::bigint, overlap, state, source, next_run_at, last_occurrence, last_job_id, "
        + "occurrences, last_error, created_at, updated_at";

    public const string RecurringNextDue = """
        SELECT min(next_run_at) FROM {schema}.recurring WHERE state = 'active';
        """;

    // Locked and skipped when another scheduler holds them, so two processes ticking at once share the due schedules
    // rather than queue behind each other. Exactly-once does not rest on it: Advance's compare-and-set and the
    // jobs_occurrence index do that.
    public const string RecurringDue = $$"""
        {{SelectSchedule}} FROM {schema}.recurring
        WHERE state = 'active' AND next_run_at <= @ts
        ORDER BY next_run_at, name LIMIT @limit
        FOR UPDATE SKIP LOCKED;
        """;

    public const string RecurringGet = $$"""
        {{SelectSchedule}} FROM {schema}.recurring WHERE name = @name;
        """;

    // Inside a write a schedule is read to be changed: the lock keeps a tick, a pause or a trigger of the same schedule
    // from writing over each other's reading of it under READ COMMITTED.
    public const string RecurringGetForUpdate = $$"""
        {{SelectSchedule}} FROM {schema}.recurring WHERE name = @name FOR UPDATE;
        """;

    public const string RecurringList = $$"""
        {{SelectSchedule}} FROM {schema}.recurring ORDER BY name;
        """;

    public const string RecurringCodeNames = """
        SELECT name FROM {schema}.recurring WHERE source = 'code';
        """;

    // No row back: another transaction added the same name first (it waited for that one to commit).
    public const string RecurringInsert = """
        INSERT INTO {schema}.recurring (name, type, queue, payload, priority, max_attempts, timeout_ms, schedule, time_zone,
                                        misfire, misfire_grace_ms, max_catch_up, overlap, state, source, next_run_at,
                                        created_at, updated_at)
        VALUES (@name, @type, @queue, @payload, @priority, @max_attempts, @timeout_ms, @schedule, @time_zone,
                @misfire, @misfire_grace_ms, @max_catch_up, @overlap, 'active', @source, @next_run_at, @ts, @ts)
        ON CONFLICT (name) DO NOTHING;
        """;

    public const string RecurringUpdate = """
        UPDATE {schema}.recurring
        SET type = @type, queue = @queue, payload = @payload, priority = @priority, max_attempts = @max_attempts,
            timeout_ms = @timeout_ms, schedule = @schedule, time_zone = @time_zone, misfire = @misfire,
            misfire_grace_ms = @misfire_grace_ms, max_catch_up = @max_catch_up, overlap = @overlap, source = @source,
            state = @state, next_run_at = @next_run_at, last_error = @last_error, updated_at = @ts
        WHERE name = @name;
        """;

    public const string RecurringDelete = """
        DELETE FROM {schema}.recurring WHERE name = @name;
        """;

    public const string RecurringDeleteLog = """
        DELETE FROM {schema}.recurring_log WHERE name = @name;
        """;

    public const string RecurringSetState = """
        UPDATE {schema}.recurring SET state = @state, next_run_at = @next_run_at, last_error = @last_error, updated_at = @ts
        WHERE name = @name;
        """;

    // The compare-and-set that claims the occurrences up to @last: only the writer that saw @seen moves it on.
    public const string RecurringAdvance = """
        UPDATE {schema}.recurring
        SET next_run_at = @next, last_occurrence = @last, last_job_id = coalesce(@job_id, last_job_id),
            occurrences = occurrences + @fired, updated_at = @ts
        WHERE name = @name AND state = 'active' AND next_run_at = @seen;
        """;

    public const string RecurringLiveJob = """
        SELECT id FROM {schema}.jobs
        WHERE recurring_name = @name AND state IN ('pending', 'running') LIMIT 1;
        """;

    public const string RecurringPendingJob = """
        SELECT id FROM {schema}.jobs
        WHERE recurring_name = @name AND state IN ('pending', 'running') AND state = 'pending' LIMIT 1;
        """;

    // ON CONFLICT: the occurrence already has a job (jobs_occurrence); no row comes back and the caller records it,
    // as on SQLite. A concurrent insert of the same occurrence is waited for, then met here the same way.
    public const string RecurringInsertJob = """
        INSERT INTO {schema}.jobs (queue, type, payload, priority, state, run_at, max_attempts, timeout_ms, created_at,
                                   recurring_name, occurrence_at, occurrence_missed)
        SELECT @queue, @type, @payload, @priority, 'pending', c.at, @max_attempts, @timeout_ms, c.at,
               @name, @occurrence_at, @missed
        FROM (SELECT coalesce(@run_at, (extract(epoch FROM clock_timestamp()) * 1000)::bigint) AS at) c
        ON CONFLICT DO NOTHING
        RETURNING id;
        """;

    public const string RecurringInsertLog = """
        INSERT INTO {schema}.recurring_log (name, occurrence_at, outcome, job_id, at, detail)
        VALUES (@name, @occurrence_at, @outcome, @job_id, @ts, @detail);
        """;

    // Keeps the newest @keep entries of one schedule: one seek to find the cut, one range delete below it.
    public const string RecurringTrimLog = """
        DELETE FROM {schema}.recurring_log
        WHERE name = @name AND id <= (SELECT id FROM {schema}.recurring_log WHERE name = @name ORDER BY id DESC LIMIT 1 OFFSET @keep);
        """;

    public const string RecurringHistory = """
        SELECT name, occurrence_at, outcome, job_id, at, detail
        FROM {schema}.recurring_log WHERE name = @name ORDER BY id DESC LIMIT @limit;
        """;
}
