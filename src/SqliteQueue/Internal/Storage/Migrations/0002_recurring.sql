-- Schema v2: recurring jobs. "{prefix}" is replaced by the configured table prefix before this runs.
-- The first table a migration creates marks it as applied for its prefix (see Migrator).

-- One row per schedule. The row is the scheduler's whole memory: next_run_at is the first occurrence not yet
-- handled, and advancing it is how an occurrence is claimed, inside the write transaction that also inserts its
-- job. Nothing that decides what fires lives only in a process.
CREATE TABLE {prefix}recurring (
    name             TEXT    PRIMARY KEY,
    type             TEXT    NOT NULL,
    queue            TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    priority         INTEGER NOT NULL,
    max_attempts     INTEGER,
    timeout_ms       INTEGER,
    schedule         TEXT    NOT NULL,
    time_zone        TEXT    NOT NULL,
    misfire          TEXT    NOT NULL CHECK (misfire IN ('run_once', 'run_all', 'skip')),
    misfire_grace_ms INTEGER NOT NULL,
    max_catch_up     INTEGER NOT NULL,
    overlap          TEXT    NOT NULL CHECK (overlap IN ('skip', 'queue_one', 'allow')),
    state            TEXT    NOT NULL CHECK (state IN ('active', 'paused', 'broken')),
    source           TEXT    NOT NULL CHECK (source IN ('code', 'runtime')),
    next_run_at      INTEGER,
    last_occurrence  INTEGER,
    last_job_id      INTEGER,
    occurrences      INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- The scheduler's only question: which active schedule is due first.
CREATE INDEX {prefix}recurring_due ON {prefix}recurring (next_run_at) WHERE state = 'active';

-- What each schedule did with each occurrence, newest kept (the scheduler trims it per schedule).
CREATE TABLE {prefix}recurring_log (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    occurrence_at INTEGER,
    outcome       TEXT    NOT NULL CHECK (outcome IN ('fired', 'caught_up', 'triggered', 'skipped_overlap', 'skipped_misfire', 'already_fired', 'broken')),
    job_id        INTEGER,
    at            INTEGER NOT NULL,
    detail        TEXT
);

CREATE INDEX {prefix}recurring_log_name ON {prefix}recurring_log (name, id);

-- A job made by a schedule names it and the occurrence it stands for (NULL for a manual trigger), and how many
-- missed occurrences it makes up for (0 when on time).
ALTER TABLE {prefix}jobs ADD COLUMN recurring_name TEXT;
ALTER TABLE {prefix}jobs ADD COLUMN occurrence_at INTEGER;
ALTER TABLE {prefix}jobs ADD COLUMN occurrence_missed INTEGER;

-- The second guard: even if a schedule row were wrong, one occurrence can make one job. It holds for as long as
-- the job is kept; the schedule row's watermark holds after jobs are deleted.
CREATE UNIQUE INDEX {prefix}jobs_occurrence ON {prefix}jobs (recurring_name, occurrence_at)
    WHERE recurring_name IS NOT NULL;

-- The overlap check: a schedule's live jobs, found without visiting its finished ones.
CREATE INDEX {prefix}jobs_recurring_live ON {prefix}jobs (recurring_name, state)
    WHERE recurring_name IS NOT NULL AND state IN ('pending', 'running');
