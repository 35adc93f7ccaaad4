-- Schema v3 on PostgreSQL: what the monitor and maintenance keep. "{schema}" is replaced by the configured schema.
-- Times are bigint Unix milliseconds, as in the rest of the schema.

-- The running worker groups of every process on the schema: written when a group starts, beaten while it runs and
-- deleted when it stops. A row past its expiry belongs to a process that died: left out of listings and deleted by
-- the next worker that beats.
CREATE TABLE {schema}.workers (
    id           text    PRIMARY KEY,
    host         text    NOT NULL,
    process_id   bigint  NOT NULL,
    queues       text    NOT NULL,
    concurrency  integer NOT NULL,
    started_at   bigint  NOT NULL,
    heartbeat_at bigint  NOT NULL,
    expires_at   bigint  NOT NULL
);

-- Work one process at a time may do (maintenance): held until expires_at and fenced by term, which grows with every
-- new holder, so a process that stalled past its lease cannot act on it once another took over. A row and a
-- compare-and-set rather than an advisory lock, so it holds behind a transaction-pooling proxy too.
CREATE TABLE {schema}.leases (
    name        text   PRIMARY KEY,
    owner       text   NOT NULL,
    term        bigint NOT NULL,
    acquired_at bigint NOT NULL,
    expires_at  bigint NOT NULL
);

-- The last run of each maintenance task and what it found, for health checks and dashboards.
CREATE TABLE {schema}.maintenance_runs (
    task        text    PRIMARY KEY,
    started_at  bigint  NOT NULL,
    finished_at bigint  NOT NULL,
    ok          boolean NOT NULL,
    summary     text    NOT NULL,
    owner       text    NOT NULL
);

-- Settled attempts per Unix minute (finished_at / 60000) and outcome, so a throughput chart reads a range of this
-- small table's primary key instead of scanning executions. Kept by the trigger below, in the transaction that
-- inserts the executions, whoever inserts them; maintenance's prune deletes old minutes.
CREATE TABLE {schema}.throughput (
    minute  bigint NOT NULL,
    outcome text   NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (minute, outcome)
);

-- The history already kept, in one pass (bounded by the jobs' retention).
INSERT INTO {schema}.throughput (minute, outcome, n)
SELECT finished_at / 60000, outcome, count(*) FROM {schema}.executions
GROUP BY 1, 2;

-- Once per statement, over all the rows it inserted: a statement that settles many attempts (a rescue of expired
-- leases, a batch of completions) upserts each minute and outcome once, in key order, so two such statements lock
-- the series' rows in the same order and cannot deadlock on them.
CREATE FUNCTION {schema}.executions_throughput() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.throughput (minute, outcome, n)
    SELECT finished_at / 60000, outcome, count(*) FROM inserted
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (minute, outcome) DO UPDATE SET n = {schema}.throughput.n + excluded.n;
    RETURN NULL;
END;
$$;

CREATE TRIGGER executions_throughput AFTER INSERT ON {schema}.executions
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.executions_throughput();
