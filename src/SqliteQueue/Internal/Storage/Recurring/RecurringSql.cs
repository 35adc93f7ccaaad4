namespace SqliteQueue.Internal.Storage.Recurring;

/// <summary>Every statement of the recurring-job store, one named constant each (see <see cref="JobSql"/> for the conventions).</summary>
internal static class RecurringSql
{
    private const string SelectSchedule =
        "SELECT name AS Name, type AS Type, queue AS Queue, payload AS Payload, priority AS Priority, "
        + "max_attempts AS MaxAttempts, timeout_ms AS TimeoutMs, schedule AS Schedule, time_zone AS TimeZone, "
        + "misfire AS Misfire, misfire_grace_ms AS MisfireGraceMs, max_catch_up AS MaxCatchUp, overlap AS Overlap, "
        + "state AS State, source AS Source, next_run_at AS NextRunAt, last_occurrence AS LastOccurrence, "
        + "last_job_id AS LastJobId, occurrences AS Occurrences, last_error AS LastError, "
        + "created_at AS CreatedAt, updated_at AS UpdatedAt";

    public const string NextDue = """
        SELECT MIN(next_run_at) FROM {prefix}recurring WHERE state = 'active';
        """;

    public const string Due = $$"""
        {{SelectSchedule}} FROM {prefix}recurring INDEXED BY {prefix}recurring_due
        WHERE state = 'active' AND next_run_at <= @now
        ORDER BY next_run_at, name LIMIT @limit;
        """;

    public const string Get = $$"""
        {{SelectSchedule}} FROM {prefix}recurring WHERE name = @name;
        """;

    public const string List = $$"""
        {{SelectSchedule}} FROM {prefix}recurring ORDER BY name;
        """;

    public const string ListCode = """
        SELECT name FROM {prefix}recurring WHERE source = 'code';
        """;

    public const string Insert = """
        INSERT INTO {prefix}recurring (name, type, queue, payload, priority, max_attempts, timeout_ms, schedule, time_zone,
                                       misfire, misfire_grace_ms, max_catch_up, overlap, state, source, next_run_at,
                                       created_at, updated_at)
        VALUES (@name, @type, @queue, @payload, @priority, @max_attempts, @timeout_ms, @schedule, @time_zone,
                @misfire, @misfire_grace_ms, @max_catch_up, @overlap, 'active', @source, @next_run_at, @now, @now);
        """;

    // A definition's fields, and where it stands: the caller decides the timing (kept, or recomputed when the
    // schedule or zone changed) and the state (kept, or active again when a broken one was fixed).
    public const string Update = """
        UPDATE {prefix}recurring
        SET type = @type, queue = @queue, payload = @payload, priority = @priority, max_attempts = @max_attempts,
            timeout_ms = @timeout_ms, schedule = @schedule, time_zone = @time_zone, misfire = @misfire,
            misfire_grace_ms = @misfire_grace_ms, max_catch_up = @max_catch_up, overlap = @overlap, source = @source,
            state = @state, next_run_at = @next_run_at, last_error = @last_error, updated_at = @now
        WHERE name = @name;
        """;

    public const string Delete = """
        DELETE FROM {prefix}recurring WHERE name = @name;
        """;

    public const string DeleteLog = """
        DELETE FROM {prefix}recurring_log WHERE name = @name;
        """;

    public const string SetState = """
        UPDATE {prefix}recurring SET state = @state, next_run_at = @next_run_at, last_error = @last_error, updated_at = @now
        WHERE name = @name;
        """;

    // The compare-and-set that claims the occurrences up to @last: only the writer that saw @seen moves it on.
    public const string Advance = """
        UPDATE {prefix}recurring
        SET next_run_at = @next, last_occurrence = @last, last_job_id = COALESCE(@job_id, last_job_id),
            occurrences = occurrences + @fired, updated_at = @now
        WHERE name = @name AND state = 'active' AND next_run_at = @seen;
        """;

    public const string LiveJob = """
        SELECT id FROM {prefix}jobs INDEXED BY {prefix}jobs_recurring_live
        WHERE recurring_name = @name AND state IN ('pending', 'running') LIMIT 1;
        """;

    // The IN repeats the index's own condition: SQLite uses a partial index only where the query implies it.
    public const string PendingJob = """
        SELECT id FROM {prefix}jobs INDEXED BY {prefix}jobs_recurring_live
        WHERE recurring_name = @name AND state IN ('pending', 'running') AND state = 'pending' LIMIT 1;
        """;

    // ON CONFLICT: the occurrence already has a job (jobs_occurrence), which only a schedule removed and declared
    // again can meet; no row comes back and the caller records it.
    public const string InsertJob = """
        INSERT INTO {prefix}jobs (queue, type, payload, priority, state, run_at, max_attempts, timeout_ms, created_at,
                                  recurring_name, occurrence_at, occurrence_missed)
        VALUES (@queue, @type, @payload, @priority, 'pending', @now, @max_attempts, @timeout_ms, @now,
                @name, @occurrence_at, @missed)
        ON CONFLICT DO NOTHING
        RETURNING id;
        """;

    public const string InsertLog = """
        INSERT INTO {prefix}recurring_log (name, occurrence_at, outcome, job_id, at, detail)
        VALUES (@name, @occurrence_at, @outcome, @job_id, @now, @detail);
        """;

    // Keeps the newest @keep entries of one schedule: one seek to find the cut, one range delete below it.
    public const string TrimLog = """
        DELETE FROM {prefix}recurring_log
        WHERE name = @name AND id <= (SELECT id FROM {prefix}recurring_log WHERE name = @name ORDER BY id DESC LIMIT 1 OFFSET @keep);
        """;

    public const string History = """
        SELECT name AS Name, occurrence_at AS OccurrenceAt, outcome AS Outcome, job_id AS JobId, at AS At, detail AS Detail
        FROM {prefix}recurring_log WHERE name = @name ORDER BY id DESC LIMIT @limit;
        """;
}
