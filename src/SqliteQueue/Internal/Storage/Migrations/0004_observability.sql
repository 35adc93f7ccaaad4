-- Schema v4: what observability needs. "{prefix}" is replaced by the configured table prefix.
-- The first table a migration creates marks it as applied for its prefix (see Migrator).

-- The running workers of every process on the file: each hosted worker group writes its row when it starts, beats
-- it while it runs and deletes it when it stops; a row whose beat is older than its expiry belongs to a process that
-- died, and is left out of listings and deleted by the next worker that registers.
CREATE TABLE {prefix}workers (
    id           TEXT    PRIMARY KEY,
    host         TEXT    NOT NULL,
    process_id   INTEGER NOT NULL,
    queues       TEXT    NOT NULL,
    concurrency  INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- The W3C trace context the job was enqueued in (traceparent and tracestate), so each attempt's span can link to
-- the span that created it; NULL when nothing was traced.
ALTER TABLE {prefix}jobs ADD COLUMN trace_parent TEXT;
ALTER TABLE {prefix}jobs ADD COLUMN trace_state TEXT;
