-- Schema v3: counts that scale, and what maintenance needs. "{prefix}" is replaced by the configured table prefix.
-- The first table a migration creates marks it as applied for its prefix (see Migrator).

-- Finished jobs per queue and state. Finished jobs are most of the file and have no index over all of them (one
-- would move an entry on every completion), so counting them by scanning grew with the history kept. The store adds
-- its own state changes here in the same transaction as the changes themselves, one row per queue and state per
-- commit. Inserts and deletes are counted by the triggers below, whoever runs them (a prune, a bulk delete, a row
-- written by hand); an UPDATE trigger would be paid by every claim and completion, so updates are the store's own.
CREATE TABLE {prefix}counts (
    queue TEXT    NOT NULL,
    state TEXT    NOT NULL CHECK (state IN ('completed', 'dead', 'cancelled')),
    n     INTEGER NOT NULL,
    PRIMARY KEY (queue, state)
) WITHOUT ROWID;

INSERT INTO {prefix}counts (queue, state, n)
SELECT queue, state, COUNT(*) FROM {prefix}jobs WHERE state IN ('completed', 'dead', 'cancelled') GROUP BY queue, state;

CREATE TRIGGER {prefix}jobs_count_insert AFTER INSERT ON {prefix}jobs
WHEN new.state IN ('completed', 'dead', 'cancelled')
BEGIN
    INSERT INTO {prefix}counts (queue, state, n) VALUES (new.queue, new.state, 1)
    ON CONFLICT (queue, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER {prefix}jobs_count_delete AFTER DELETE ON {prefix}jobs
WHEN old.state IN ('completed', 'dead', 'cancelled')
BEGIN
    UPDATE {prefix}counts SET n = n - 1 WHERE queue = old.queue AND state = old.state;
END;

-- Work one process per file must do at a time (maintenance): held until expires_at, and fenced by term, which
-- grows with every new holder, so a process that stalled past its lease cannot act on it after another took over.
CREATE TABLE {prefix}leases (
    name        TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    term        INTEGER NOT NULL,
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- The last run of each maintenance task and what it found, for storage info, health checks and dashboards.
CREATE TABLE {prefix}maintenance_runs (
    task        TEXT    PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    summary     TEXT    NOT NULL,
    owner       TEXT    NOT NULL
) WITHOUT ROWID;
