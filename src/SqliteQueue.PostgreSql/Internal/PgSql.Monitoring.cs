namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// The worker registry's, the health check's and the throughput series' statements. The workers table holds a row
/// per running worker group, so reading or sweeping it whole is cheap; every read of the jobs table goes through an index.
/// </summary>
internal static partial class PgSql
{
    // The sweep and the beat share one clock reading. A beat writes the whole row, so a row swept away while this
    // process stalled past its own expiry comes back at the next beat; started_at is kept from the first write.
    public const string SweepWorkers = $$"""
        WITH {{Clock}}
        DELETE FROM {schema}.workers w USING t WHERE w.expires_at < t.now
        RETURNING w.id, w.host, w.process_id;
        """;

    public const string UpsertWorker = $$"""
        WITH {{Clock}}
        INSERT INTO {schema}.workers (id, host, process_id, queues, concurrency, started_at, heartbeat_at, expires_at)
        SELECT @id, @host, @process_id, @queues, @concurrency, @started_at, t.now, t.now + @expiry_ms FROM t
        ON CONFLICT (id) DO UPDATE SET host = excluded.host, process_id = excluded.process_id, queues = excluded.queues,
            concurrency = excluded.concurrency, heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at;
        """;

    public const string DeleteWorker = """
        DELETE FROM {schema}.workers WHERE id = @id;
        """;

    public const string ListLiveWorkers = $$"""
        WITH {{Clock}}
        SELECT w.id, w.host, w.process_id, w.queues, w.concurrency, w.started_at, w.heartbeat_at, w.expires_at
        FROM {schema}.workers w, t WHERE w.expires_at >= t.now ORDER BY w.id;
        """;

    // Whether the schema exists and how far it is migrated, without creating anything: a health check never writes.
    public const string VersionTableExists = """
        SELECT to_regclass('{schema}.schema_version') IS NOT NULL;
        """;

    public const string SchemaVersion = """
        SELECT coalesce(max(version), 0) FROM {schema}.schema_version;
        """;

    // A range of the partial index jobs_dead_finished: only the dead jobs of the last hour are read.
    public const string DeadSince = """
        SELECT count(*) FROM {schema}.jobs WHERE state = 'dead' AND finished_at >= @since;
        """;

    // The recurring tables come with their own migration; a schema without them has no broken schedule to report.
    public const string RecurringTableExists = """
        SELECT to_regclass('{schema}.recurring') IS NOT NULL;
        """;

    // One row per schedule, a few at most hundreds; in byte order, as SQLite lists them.
    public const string BrokenRecurring = """
        SELECT name FROM {schema}.recurring WHERE state = 'broken' ORDER BY name COLLATE "C";
        """;

    // A range of the series' primary key (minute, outcome): at most four rows per minute asked for. Released attempts
    // spent nothing, so they are left out.
    public const string ThroughputSince = """
        SELECT minute, outcome, n FROM {schema}.throughput
        WHERE minute >= @from_minute AND minute <= @to_minute AND outcome <> 'released';
        """;
}
