-- Schema v5: throughput over time. "{prefix}" is replaced by the configured table prefix.
-- The first table a migration creates marks it as applied for its prefix (see Migrator).

-- Settled attempts per Unix minute (finished_at / 60000) and outcome, so a throughput chart reads a range of this
-- small table by its primary key instead of scanning executions, whatever the depth of the history. Kept by the
-- trigger below, in the transaction that inserts the execution row, whoever inserts it; maintenance's prune deletes
-- minutes older than the longest retention (at least 14 days).
CREATE TABLE {prefix}throughput (
    minute  INTEGER NOT NULL,
    outcome TEXT    NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (minute, outcome)
) WITHOUT ROWID;

-- Dead jobs by the time they died, so "dead in the last hour" (health, the dashboard) and a count of dead jobs older
-- than an age read a range of this small index instead of looking up every dead job's row.
CREATE INDEX {prefix}jobs_dead_finished ON {prefix}jobs (finished_at) WHERE state = 'dead';

-- The history already kept, in one pass over executions (bounded by the jobs' retention, like version 3's counts).
INSERT INTO {prefix}throughput (minute, outcome, n)
SELECT finished_at / 60000, outcome, COUNT(*) FROM {prefix}executions GROUP BY finished_at / 60000, outcome;

-- Executions are only inserted (and deleted with their jobs, which leaves the series alone): one upsert per attempt.
CREATE TRIGGER {prefix}executions_throughput AFTER INSERT ON {prefix}executions
BEGIN
    INSERT INTO {prefix}throughput (minute, outcome, n) VALUES (new.finished_at / 60000, new.outcome, 1)
    ON CONFLICT (minute, outcome) DO UPDATE SET n = n + 1;
END;
