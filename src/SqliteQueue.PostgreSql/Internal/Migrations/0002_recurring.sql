-- Schema v2 on PostgreSQL: recurring jobs, with the columns and meaning of SQLite's recurring tables. "{schema}" is
-- replaced by the configured schema before this runs. The jobs table already records which schedule and occurrence
-- a job came from (recurring_name, occurrence_at, occurrence_missed) and refuses a second job for one occurrence
-- (jobs_occurrence), since v1.

-- One row per schedule, and the scheduler's whole memory: next_run_at is the first occurrence not yet handled, and
-- advancing it in the transaction that inserts its job is how an occurrence is claimed.
CREATE TABLE {schema}.recurring (
    name             text    PRIMARY KEY,
    type             text    NOT NULL,
    queue            text    NOT NULL,
    payload          text    NOT NULL,
    priority         integer NOT NULL,
    max_attempts     integer,
    timeout_ms       bigint,
    schedule         text    NOT NULL,
    time_zone        text    NOT NULL,
    misfire          text    NOT NULL CHECK (misfire IN ('run_once', 'run_all', 'skip')),
    misfire_grace_ms bigint  NOT NULL,
    max_catch_up     integer NOT NULL,
    overlap          text    NOT NULL CHECK (overlap IN ('skip', 'queue_one', 'allow')),
    state            text    NOT NULL CHECK (state IN ('active', 'paused', 'broken')),
    source           text    NOT NULL CHECK (source IN ('code', 'runtime')),
    next_run_at      bigint,
    last_occurrence  bigint,
    last_job_id      bigint,
    occurrences      bigint  NOT NULL DEFAULT 0,
    last_error       text,
    created_at       bigint  NOT NULL,
    updated_at       bigint  NOT NULL
);

-- The scheduler's only questions: which active schedule is due first (NextDue), and which are due now (Due).
CREATE INDEX recurring_due ON {schema}.recurring (next_run_at, name) WHERE state = 'active';

-- What each schedule did with each occurrence, newest kept (the scheduler trims it per schedule).
CREATE TABLE {schema}.recurring_log (
    id            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text    NOT NULL,
    occurrence_at bigint,
    outcome       text    NOT NULL CHECK (outcome IN ('fired', 'caught_up', 'triggered', 'skipped_overlap', 'skipped_misfire', 'already_fired', 'broken')),
    job_id        bigint,
    at            bigint  NOT NULL,
    detail        text
);

CREATE INDEX recurring_log_name ON {schema}.recurring_log (name, id);

-- The overlap check: a schedule's live jobs, found without visiting its finished ones.
CREATE INDEX jobs_recurring_live ON {schema}.jobs (recurring_name, state)
    WHERE recurring_name IS NOT NULL AND state IN ('pending', 'running');
