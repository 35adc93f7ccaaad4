-- Schema v1 on PostgreSQL. "{schema}" is replaced by the configured schema before this runs, inside the migration's
-- transaction, under its advisory lock. Times are bigint Unix milliseconds (UTC), as on SQLite, so every reader of
-- the queue shares one representation. States are readable words so the tables can be queried by hand.
CREATE TABLE {schema}.jobs (
    id                bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue             text    NOT NULL,
    type              text    NOT NULL,
    -- text, not jsonb: the payload's exact JSON text (key order, spacing, number spelling) round-trips.
    payload           text    NOT NULL,
    priority          integer NOT NULL DEFAULT 0,
    state             text    NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'dead', 'cancelled')),
    run_at            bigint  NOT NULL,
    attempt           integer NOT NULL DEFAULT 0,
    max_attempts      integer NOT NULL,
    timeout_ms        bigint,
    dedup_key         text,
    lease_owner       text,
    lease_token       bigint,
    lease_expires_at  bigint,
    cancel_requested  boolean NOT NULL DEFAULT false,
    last_error        text,
    created_at        bigint  NOT NULL,
    started_at        bigint,
    finished_at       bigint,
    recurring_name    text,
    occurrence_at     bigint,
    occurrence_missed integer,
    trace_parent      text,
    trace_state       text
);

-- FIFO and LIFO claims walk this index forwards or backwards.
CREATE INDEX jobs_pending_fifo ON {schema}.jobs (queue, run_at, id) WHERE state = 'pending';

-- Priority claims, per-class claims (WeightedRandom) and the priority-class skip scan.
CREATE INDEX jobs_pending_priority ON {schema}.jobs (queue, priority, run_at, id) WHERE state = 'pending';

-- Finding expired leases and the next lease expiry cost one seek whatever the queue depth.
CREATE INDEX jobs_running_lease ON {schema}.jobs (lease_expires_at) WHERE state = 'running';

-- Listings by state, in id order either way, read only the jobs of that state. Completed jobs are most of the table
-- and are listed by walking the primary key: an index over them would move an entry on every completion.
CREATE INDEX jobs_pending_id ON {schema}.jobs (id) WHERE state = 'pending';
CREATE INDEX jobs_running_id ON {schema}.jobs (id) WHERE state = 'running';
CREATE INDEX jobs_dead ON {schema}.jobs (id) WHERE state = 'dead';
CREATE INDEX jobs_cancelled ON {schema}.jobs (id) WHERE state = 'cancelled';

-- Dead jobs by the time they died (health: dead in the last hour).
CREATE INDEX jobs_dead_finished ON {schema}.jobs (finished_at) WHERE state = 'dead';

-- Deduplication: at most one live job per (queue, key).
CREATE UNIQUE INDEX jobs_dedup ON {schema}.jobs (queue, dedup_key)
    WHERE dedup_key IS NOT NULL AND state IN ('pending', 'running');

-- One occurrence of a recurring schedule makes at most one job, for as long as the job is kept.
CREATE UNIQUE INDEX jobs_occurrence ON {schema}.jobs (recurring_name, occurrence_at)
    WHERE recurring_name IS NOT NULL;

CREATE TABLE {schema}.executions (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id      bigint  NOT NULL REFERENCES {schema}.jobs (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    worker_id   text    NOT NULL,
    started_at  bigint  NOT NULL,
    finished_at bigint  NOT NULL,
    outcome     text    NOT NULL CHECK (outcome IN ('completed', 'failed', 'lease_expired', 'released')),
    error       text
);

CREATE INDEX executions_job ON {schema}.executions (job_id, id);

-- Finished jobs per queue and state, so statistics never scan the history. The store adds its own state changes in
-- the transaction that makes them (one upsert per queue and state per transaction, in a fixed order so two
-- transactions cannot deadlock on these rows); inserts and deletes of finished rows, whoever runs them, are counted
-- by the triggers below. An UPDATE trigger would be paid by every claim and completion.
CREATE TABLE {schema}.counts (
    queue text   NOT NULL,
    state text   NOT NULL CHECK (state IN ('completed', 'dead', 'cancelled')),
    n     bigint NOT NULL,
    PRIMARY KEY (queue, state)
);

CREATE FUNCTION {schema}.jobs_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.counts (queue, state, n) VALUES (NEW.queue, NEW.state, 1)
    ON CONFLICT (queue, state) DO UPDATE SET n = {schema}.counts.n + 1;
    RETURN NULL;
END;
$$;

CREATE FUNCTION {schema}.jobs_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {schema}.counts SET n = n - 1 WHERE queue = OLD.queue AND state = OLD.state;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_count_insert AFTER INSERT ON {schema}.jobs
    FOR EACH ROW WHEN (NEW.state IN ('completed', 'dead', 'cancelled')) EXECUTE FUNCTION {schema}.jobs_count_insert();

CREATE TRIGGER jobs_count_delete AFTER DELETE ON {schema}.jobs
    FOR EACH ROW WHEN (OLD.state IN ('completed', 'dead', 'cancelled')) EXECUTE FUNCTION {schema}.jobs_count_delete();
