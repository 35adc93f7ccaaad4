namespace SqliteQueue.Internal.Storage;

/// <summary>
/// Every statement the store runs, one named constant each. <c>{prefix}</c> stands for the configured table
/// prefix and is replaced once, when the store starts (see <see cref="SqlText"/>); nothing else is ever spliced in.
/// "Now" is always a parameter, so the clock is the injected TimeProvider.
/// </summary>
internal static class JobSql
{
    public const string Enqueue = """
        INSERT INTO {prefix}jobs (queue, type, payload, priority, state, run_at, max_attempts, timeout_ms, dedup_key, created_at, trace_parent, trace_state)
        VALUES (@queue, @type, @payload, @priority, 'pending', @run_at, @max_attempts, @timeout_ms, @dedup_key, @now, @trace_parent, @trace_state)
        ON CONFLICT DO NOTHING
        RETURNING id;
        """;

    // Sixteen jobs per statement: one statement costs about as much as its first row, so batches insert
    // several times faster than row by row. Only jobs without a deduplication key go through it (a skipped
    // conflict would leave RETURNING unable to say which row is which); ids come back in insertion order once sorted.
    // All sixteen come from one enqueue call, so they share its trace context: one parameter pair for every row.
    public const string EnqueueSixteen = """
        INSERT INTO {prefix}jobs (queue, type, payload, priority, state, run_at, max_attempts, timeout_ms, created_at, trace_parent, trace_state)
        VALUES (@queue0, @type0, @payload0, @priority0, 'pending', @run_at0, @max_attempts0, @timeout_ms0, @now, @trace_parent, @trace_state),
               (@queue1, @type1, @payload1, @priority1, 'pending', @run_at1, @max_attempts1, @timeout_ms1, @now, @trace_parent, @trace_state),
               (@queue2, @type2, @payload2, @priority2, 'pending', @run_at2, @max_attempts2, @timeout_ms2, @now, @trace_parent, @trace_state),
               (@queue3, @type3, @payload3, @priority3, 'pending', @run_at3, @max_attempts3, @timeout_ms3, @now, @trace_parent, @trace_state),
               (@queue4, @type4, @payload4, @priority4, 'pending', @run_at4, @max_attempts4, @timeout_ms4, @now, @trace_parent, @trace_state),
               (@queue5, @type5, @payload5, @priority5, 'pending', @run_at5, @max_attempts5, @timeout_ms5, @now, @trace_parent, @trace_state),
               (@queue6, @type6, @payload6, @priority6, 'pending', @run_at6, @max_attempts6, @timeout_ms6, @now, @trace_parent, @trace_state),
               (@queue7, @type7, @payload7, @priority7, 'pending', @run_at7, @max_attempts7, @timeout_ms7, @now, @trace_parent, @trace_state),
               (@queue8, @type8, @payload8, @priority8, 'pending', @run_at8, @max_attempts8, @timeout_ms8, @now, @trace_parent, @trace_state),
               (@queue9, @type9, @payload9, @priority9, 'pending', @run_at9, @max_attempts9, @timeout_ms9, @now, @trace_parent, @trace_state),
               (@queue10, @type10, @payload10, @priority10, 'pending', @run_at10, @max_attempts10, @timeout_ms10, @now, @trace_parent, @trace_state),
               (@queue11, @type11, @payload11, @priority11, 'pending', @run_at11, @max_attempts11, @timeout_ms11, @now, @trace_parent, @trace_state),
               (@queue12, @type12, @payload12, @priority12, 'pending', @run_at12, @max_attempts12, @timeout_ms12, @now, @trace_parent, @trace_state),
               (@queue13, @type13, @payload13, @priority13, 'pending', @run_at13, @max_attempts13, @timeout_ms13, @now, @trace_parent, @trace_state),
               (@queue14, @type14, @payload14, @priority14, 'pending', @run_at14, @max_attempts14, @timeout_ms14, @now, @trace_parent, @trace_state),
               (@queue15, @type15, @payload15, @priority15, 'pending', @run_at15, @max_attempts15, @timeout_ms15, @now, @trace_parent, @trace_state)
        RETURNING id;
        """;

    public const string FindLiveDuplicate = """
        SELECT id FROM {prefix}jobs
        WHERE queue = @queue AND dedup_key = @dedup_key AND state IN ('pending', 'running');
        """;

    // Claims. A claimed job either starts now (@start = 1: its attempt counts and started_at is set) or is held in the
    // worker's buffer until a slot frees (@start = 0: started_at stays NULL, and StartHeldJob counts the attempt
    // when its handler is about to run); a held job whose lease runs out is given back without spending an attempt.
    // One job: one UPDATE ... RETURNING with "id = (subquery)". Several: the pending rows are read in claim
    // order and then updated one by one by id, inside the same IMMEDIATE transaction. The one-statement form
    // "id IN (subquery) ... RETURNING" builds two temporary b-trees per claim, which measured ~300 us on an idle
    // worker's first claim (fresh memory) against ~50 us for this form, and no faster when warm.
    public const string ClaimOneFifo = $$"""
        UPDATE {prefix}jobs
        SET state = 'running', attempt = attempt + @start, lease_owner = @owner, lease_token = @token,
            lease_expires_at = @until, started_at = CASE WHEN @start THEN @now END
        WHERE id = (SELECT id FROM {prefix}jobs
                    WHERE queue = @queue AND state = 'pending' AND run_at <= @now
                    ORDER BY run_at, id LIMIT 1)
        RETURNING {{ClaimedColumns}};
        """;

    public const string ClaimOneLifo = $$"""
        UPDATE {prefix}jobs
        SET state = 'running', attempt = attempt + @start, lease_owner = @owner, lease_token = @token,
            lease_expires_at = @until, started_at = CASE WHEN @start THEN @now END
        WHERE id = (SELECT id FROM {prefix}jobs
                    WHERE queue = @queue AND state = 'pending' AND run_at <= @now
                    ORDER BY run_at DESC, id DESC LIMIT 1)
        RETURNING {{ClaimedColumns}};
        """;

    public const string ClaimOnePriority = $$"""
        UPDATE {prefix}jobs
        SET state = 'running', attempt = attempt + @start, lease_owner = @owner, lease_token = @token,
            lease_expires_at = @until, started_at = CASE WHEN @start THEN @now END
        WHERE id = (SELECT id FROM {prefix}jobs
                    WHERE queue = @queue AND state = 'pending' AND run_at <= @now
                    ORDER BY priority, run_at, id LIMIT 1)
        RETURNING {{ClaimedColumns}};
        """;

    public const string ClaimOneInClass = $$"""
        UPDATE {prefix}jobs
        SET state = 'running', attempt = attempt + @start, lease_owner = @owner, lease_token = @token,
            lease_expires_at = @until, started_at = CASE WHEN @start THEN @now END
        WHERE id = (SELECT id FROM {prefix}jobs
                    WHERE queue = @queue AND state = 'pending' AND priority = @priority AND run_at <= @now
                    ORDER BY run_at, id LIMIT 1)
        RETURNING {{ClaimedColumns}};
        """;

    // What a claim reads of each job: the recurring columns say which occurrence a schedule's job stands for, the
    // trace columns which span enqueued it, and run_at since when it has been due.
    private const string ClaimedColumns =
        "id, queue, type, payload, priority, attempt, max_attempts, timeout_ms, created_at, recurring_name, occurrence_at, occurrence_missed, trace_parent, trace_state, run_at";

    private const string SelectClaimable = "SELECT " + ClaimedColumns;

    public const string PendingFifo = $$"""
        {{SelectClaimable}} FROM {prefix}jobs
        WHERE queue = @queue AND state = 'pending' AND run_at <= @now
        ORDER BY run_at, id LIMIT @limit;
        """;

    public const string PendingLifo = $$"""
        {{SelectClaimable}} FROM {prefix}jobs
        WHERE queue = @queue AND state = 'pending' AND run_at <= @now
        ORDER BY run_at DESC, id DESC LIMIT @limit;
        """;

    // Without the hint the planner may read the FIFO index and sort: with "run_at <= @now" it cannot tell how many rows that is.
    public const string PendingPriority = $$"""
        {{SelectClaimable}} FROM {prefix}jobs INDEXED BY {prefix}jobs_pending_priority
        WHERE queue = @queue AND state = 'pending' AND run_at <= @now
        ORDER BY priority, run_at, id LIMIT @limit;
        """;

    public const string PendingInClass = $$"""
        {{SelectClaimable}} FROM {prefix}jobs
        WHERE queue = @queue AND state = 'pending' AND priority = @priority AND run_at <= @now
        ORDER BY run_at, id LIMIT @limit;
        """;

    public const string ClaimById = """
        UPDATE {prefix}jobs
        SET state = 'running', attempt = attempt + @start, lease_owner = @owner, lease_token = @token,
            lease_expires_at = @until, started_at = CASE WHEN @start THEN @now END
        WHERE id = @id AND state = 'pending';
        """;

    // A held job's handler is about to run: its attempt counts from here on, so a job that kills its worker is
    // dead-lettered after max_attempts while the jobs held beside it lose nothing. One whose cancel was requested
    // stays held (its worker gives it back, and it ends cancelled having spent nothing).
    public const string StartHeldJob = """
        UPDATE {prefix}jobs
        SET attempt = attempt + 1 - cancel_requested,
            started_at = CASE WHEN cancel_requested THEN NULL ELSE @now END
        WHERE id = @id AND state = 'running' AND lease_token = @token AND started_at IS NULL
        RETURNING cancel_requested;
        """;

    // Skip scan over the priority index: one seek to find each distinct priority and one to read its earliest
    // run_at (the first entry of its range), never a scan of the queue; a class that is not runnable yet also says
    // when it will be.
    public const string PriorityClasses = """
        WITH RECURSIVE classes(priority) AS (
            SELECT (SELECT MIN(priority) FROM {prefix}jobs WHERE queue = @queue AND state = 'pending')
            UNION ALL
            SELECT (SELECT MIN(j.priority) FROM {prefix}jobs AS j
                    WHERE j.queue = @queue AND j.state = 'pending' AND j.priority > classes.priority)
            FROM classes
            WHERE classes.priority IS NOT NULL
        )
        SELECT priority,
               (SELECT MIN(r.run_at) FROM {prefix}jobs AS r
                WHERE r.queue = @queue AND r.state = 'pending' AND r.priority = classes.priority) AS first_run_at
        FROM classes
        WHERE priority IS NOT NULL;
        """;

    // Other connections' commits since the last read on this connection; the writer's own commits do not count.
    public const string DataVersion = "PRAGMA data_version;";

    // Without ANALYZE statistics the planner prefers the (state, ...) index, which visits every running job;
    // INDEXED BY pins the one seek on the lease index.
    public const string AnyLeaseExpired = """
        SELECT EXISTS (SELECT 1 FROM {prefix}jobs INDEXED BY {prefix}jobs_running_lease WHERE state = 'running' AND lease_expires_at <= @now);
        """;

    // A job whose worker vanished is retaken here, inside the claim transaction. A job whose handler had started has
    // spent its attempt, so a job that keeps killing its worker is dead-lettered after max_attempts; a job still held
    // in the worker's buffer (started_at NULL) goes back as it was, with no execution of its own.
    public const string RescueExpiredExecutions = """
        INSERT INTO {prefix}executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
        SELECT id, attempt, lease_owner, started_at, @now, 'lease_expired', @error
        FROM {prefix}jobs INDEXED BY {prefix}jobs_running_lease
        WHERE state = 'running' AND lease_expires_at <= @now AND started_at IS NOT NULL;
        """;

    public const string RescueExpiredLeases = """
        UPDATE {prefix}jobs INDEXED BY {prefix}jobs_running_lease
        SET state = CASE WHEN cancel_requested THEN 'cancelled'
                         WHEN started_at IS NOT NULL AND attempt >= max_attempts THEN 'dead'
                         ELSE 'pending' END,
            finished_at = CASE WHEN cancel_requested OR (started_at IS NOT NULL AND attempt >= max_attempts) THEN @now END,
            last_error = CASE WHEN started_at IS NOT NULL THEN @error ELSE last_error END,
            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE state = 'running' AND lease_expires_at <= @now
        RETURNING queue, state, type;
        """;

    public const string CompleteJob = """
        INSERT INTO {prefix}executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
        SELECT id, attempt, lease_owner, started_at, @now, 'completed', NULL
        FROM {prefix}jobs WHERE id = @id AND state = 'running' AND lease_token = @token;
        UPDATE {prefix}jobs
        SET state = 'completed', finished_at = @now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE id = @id AND state = 'running' AND lease_token = @token;
        """;

    // Up to sixteen completions in two statements: each job found by primary key (the IN list) and fenced by its own
    // lease token (the CASE), exactly as in CompleteJob; RETURNING names the jobs completed, so a job whose lease was
    // lost is told apart. Slots left over are bound to NULL, which matches no job, so one prepared statement serves
    // every batch. The ids in one run are distinct. Below a few jobs CompleteJob per job is cheaper: this form's
    // IN list and RETURNING cost two temporary b-trees per run (see JobStore.CompleteMany). (UPDATE ... FROM
    // json_each(@pairs), one statement for any size, measured slower than CompleteJob per job for small batches.)
    public const string CompleteSixteen = """
        INSERT INTO {prefix}executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
        SELECT id, attempt, lease_owner, started_at, @now, 'completed', NULL
        FROM {prefix}jobs
        WHERE id IN (@id0, @id1, @id2, @id3, @id4, @id5, @id6, @id7,
                 @id8, @id9, @id10, @id11, @id12, @id13, @id14, @id15)
          AND state = 'running'
          AND lease_token = CASE id
                              WHEN @id0 THEN @token0
                              WHEN @id1 THEN @token1
                              WHEN @id2 THEN @token2
                              WHEN @id3 THEN @token3
                              WHEN @id4 THEN @token4
                              WHEN @id5 THEN @token5
                              WHEN @id6 THEN @token6
                              WHEN @id7 THEN @token7
                              WHEN @id8 THEN @token8
                              WHEN @id9 THEN @token9
                              WHEN @id10 THEN @token10
                              WHEN @id11 THEN @token11
                              WHEN @id12 THEN @token12
                              WHEN @id13 THEN @token13
                              WHEN @id14 THEN @token14
                              WHEN @id15 THEN @token15
                            END;
        UPDATE {prefix}jobs
        SET state = 'completed', finished_at = @now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE id IN (@id0, @id1, @id2, @id3, @id4, @id5, @id6, @id7,
                 @id8, @id9, @id10, @id11, @id12, @id13, @id14, @id15)
          AND state = 'running'
          AND lease_token = CASE id
                              WHEN @id0 THEN @token0
                              WHEN @id1 THEN @token1
                              WHEN @id2 THEN @token2
                              WHEN @id3 THEN @token3
                              WHEN @id4 THEN @token4
                              WHEN @id5 THEN @token5
                              WHEN @id6 THEN @token6
                              WHEN @id7 THEN @token7
                              WHEN @id8 THEN @token8
                              WHEN @id9 THEN @token9
                              WHEN @id10 THEN @token10
                              WHEN @id11 THEN @token11
                              WHEN @id12 THEN @token12
                              WHEN @id13 THEN @token13
                              WHEN @id14 THEN @token14
                              WHEN @id15 THEN @token15
                            END
        RETURNING id;
        """;

    public const string FailJob = """
        INSERT INTO {prefix}executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
        SELECT id, attempt, lease_owner, started_at, @now, 'failed', @error
        FROM {prefix}jobs WHERE id = @id AND state = 'running' AND lease_token = @token;
        UPDATE {prefix}jobs
        SET state = CASE WHEN cancel_requested THEN 'cancelled'
                         WHEN @permanent OR attempt >= max_attempts THEN 'dead'
                         ELSE 'pending' END,
            run_at = CASE WHEN cancel_requested OR @permanent OR attempt >= max_attempts THEN run_at ELSE @retry_at END,
            finished_at = CASE WHEN cancel_requested OR @permanent OR attempt >= max_attempts THEN @now END,
            last_error = @error, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE id = @id AND state = 'running' AND lease_token = @token
        RETURNING state, run_at;
        """;

    // Giving a job back undoes the attempt counted when it started; a held job never spent one and leaves no execution.
    public const string ReleaseJob = """
        INSERT INTO {prefix}executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error)
        SELECT id, attempt, lease_owner, started_at, @now, 'released', NULL
        FROM {prefix}jobs WHERE id = @id AND state = 'running' AND lease_token = @token AND started_at IS NOT NULL;
        UPDATE {prefix}jobs
        SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'pending' END,
            attempt = CASE WHEN started_at IS NULL THEN attempt ELSE attempt - 1 END,
            run_at = @run_at,
            finished_at = CASE WHEN cancel_requested THEN @now END,
            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE id = @id AND state = 'running' AND lease_token = @token
        RETURNING state;
        """;

    public const string RenewLease = """
        UPDATE {prefix}jobs SET lease_expires_at = @until
        WHERE id = @id AND state = 'running' AND lease_token = @token
        RETURNING cancel_requested;
        """;

    public const string CancelJob = """
        UPDATE {prefix}jobs
        SET state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE state END,
            cancel_requested = CASE WHEN state = 'running' THEN 1 ELSE cancel_requested END,
            finished_at = CASE WHEN state = 'pending' THEN @now ELSE finished_at END
        WHERE id = @id AND state IN ('pending', 'running')
        RETURNING state AS State, queue AS Queue, type AS Type, attempt AS Attempt;
        """;

    public const string RetryJob = """
        UPDATE {prefix}jobs
        SET state = 'pending', attempt = 0, run_at = @now, finished_at = NULL, cancel_requested = 0,
            lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE id = @id AND state IN ('dead', 'cancelled');
        """;

    // What a retry or a delete leaves behind: the job's queue and state before it changes.
    public const string JobQueueAndState = """
        SELECT queue AS Queue, state AS State FROM {prefix}jobs WHERE id = @id;
        """;

    // The finished-job counts: changes summed per queue and state, written once per commit (see FinishedCounts).
    public const string AddToCount = """
        INSERT INTO {prefix}counts (queue, state, n) VALUES (@queue, @state, @delta)
        ON CONFLICT (queue, state) DO UPDATE SET n = n + excluded.n;
        """;

    public const string JobExists = """
        SELECT EXISTS (SELECT 1 FROM {prefix}jobs WHERE id = @id);
        """;

    private const string SelectJob =
        "SELECT id AS Id, queue AS Queue, type AS Type, payload AS Payload, priority AS Priority, state AS State, "
        + "run_at AS RunAt, attempt AS Attempt, max_attempts AS MaxAttempts, timeout_ms AS TimeoutMs, "
        + "dedup_key AS DedupKey, lease_owner AS LeaseOwner, lease_expires_at AS LeaseExpiresAt, "
        + "cancel_requested AS CancelRequested, last_error AS LastError, created_at AS CreatedAt, "
        + "started_at AS StartedAt, finished_at AS FinishedAt, recurring_name AS RecurringName, occurrence_at AS OccurrenceAt";

    // One page of a listing: ids after the cursor, optionally one queue, one type, a creation window (after
    // inclusive, before exclusive, as JobQuery documents) and a text the payload contains (instr: case-sensitive, no
    // LIKE wildcards to escape).
    // The upper bound is a plain range on the id, never "@before_id IS NULL OR ...": SQLite bounds a rowid range only
    // by terms it can read as one, and a window that read on to the end of the table would be no window.
    private const string PageFilter =
        "id > @after_id AND id < coalesce(@before_id, 9223372036854775807) AND (@queue IS NULL OR queue = @queue) AND (@type IS NULL OR type = @type) "
        + "AND (@created_after IS NULL OR created_at >= @created_after) AND (@created_before IS NULL OR created_at < @created_before) "
        + "AND (@payload_contains IS NULL OR instr(payload, @payload_contains) > 0) ";

    // Oldest first: ids after the cursor, ascending.
    private const string PageAfterId = PageFilter + "ORDER BY id LIMIT @limit;";

    // Newest first: the same window read downwards from its upper bound, so the rowid (or a partial index on id) is
    // walked backwards from @before_id and stops after @limit rows, with no sort.
    private const string PageBeforeIdDescending = PageFilter + "ORDER BY id DESC LIMIT @limit;";

    public const string GetJob = $$"""
        {{SelectJob}}
        FROM {prefix}jobs WHERE id = @id;
        """;

    public const string GetExecutions = """
        SELECT job_id AS JobId, attempt AS Attempt, worker_id AS WorkerId, started_at AS StartedAt,
               finished_at AS FinishedAt, outcome AS Outcome, error AS Error
        FROM {prefix}executions WHERE job_id = @id ORDER BY id;
        """;

    // Listing: a null filter matches everything; pages follow the id.
    public const string ListJobs = $$"""
        {{SelectJob}}
        FROM {prefix}jobs
        WHERE {{PageAfterId}}
        """;

    // One statement per state: a partial index is only usable when the state is written into the statement. Pending
    // and running jobs are read through their own indexes and sorted (a backlog, not the whole history); completed
    // ones are found by walking ids, since most rows are completed.
    public const string ListPendingJobs = $$"""
        {{SelectJob}}
        FROM {prefix}jobs INDEXED BY {prefix}jobs_pending_fifo
        WHERE state = 'pending' AND {{PageAfterId}}
        """;

    public const string ListRunningJobs = $$"""
        {{SelectJob}}
        FROM {prefix}jobs INDEXED BY {prefix}jobs_running_lease
        WHERE state = 'running' AND {{PageAfterId}}
        """;

    public const string ListCompletedJobs = $$"""
        {{SelectJob}}
        FROM {prefix}jobs
        WHERE state = 'completed' AND {{PageAfterId}}
        """;

    public const string ListDeadJobs = $$"""
        {{SelectJob}}
        FROM {prefix}jobs
        WHERE state = 'dead' AND {{PageAfterId}}
        """;

    public const string ListCancelledJobs = $$"""
        {{SelectJob}}
        FROM {prefix}jobs
        WHERE state = 'cancelled' AND {{PageAfterId}}
        """;

    // Newest first: the listings above with the order reversed; the cursor is @before_id (JobPage.NextBeforeId).
    public const string ListJobsNewest = $$"""
        {{SelectJob}}
        FROM {prefix}jobs
        WHERE {{PageBeforeIdDescending}}
        """;

    public const string ListPendingJobsNewest = $$"""
        {{SelectJob}}
        FROM {prefix}jobs INDEXED BY {prefix}jobs_pending_fifo
        WHERE state = 'pending' AND {{PageBeforeIdDescending}}
        """;

    public const string ListRunningJobsNewest = $$"""
        {{SelectJob}}
        FROM {prefix}jobs INDEXED BY {prefix}jobs_running_lease
        WHERE state = 'running' AND {{PageBeforeIdDescending}}
        """;

    public const string ListCompletedJobsNewest = $$"""
        {{SelectJob}}
        FROM {prefix}jobs
        WHERE state = 'completed' AND {{PageBeforeIdDescending}}
        """;

    public const string ListDeadJobsNewest = $$"""
        {{SelectJob}}
        FROM {prefix}jobs
        WHERE state = 'dead' AND {{PageBeforeIdDescending}}
        """;

    public const string ListCancelledJobsNewest = $$"""
        {{SelectJob}}
        FROM {prefix}jobs
        WHERE state = 'cancelled' AND {{PageBeforeIdDescending}}
        """;

    // Pending and running jobs (a backlog) are counted through their own partial indexes; finished ones (the history,
    // most of the file) are read from the counts the triggers keep, so the cost does not grow with the history kept.
    public const string CountByQueueAndState = """
        SELECT queue AS Queue, 'pending' AS State, COUNT(*) AS Count FROM {prefix}jobs WHERE state = 'pending' GROUP BY queue
        UNION ALL
        SELECT queue, 'running', COUNT(*) FROM {prefix}jobs WHERE state = 'running' GROUP BY queue
        UNION ALL
        SELECT queue, state, n FROM {prefix}counts WHERE n > 0;
        """;

    public const string RunnableByQueue = """
        SELECT queue AS Queue, COUNT(*) AS Count, MIN(run_at) AS OldestRunAt
        FROM {prefix}jobs
        WHERE state = 'pending' AND run_at <= @now
        GROUP BY queue;
        """;

    public const string QueueHasLiveJobs = """
        SELECT EXISTS (SELECT 1 FROM {prefix}jobs WHERE state = 'pending' AND queue = @queue)
            OR EXISTS (SELECT 1 FROM {prefix}jobs WHERE state = 'running' AND queue = @queue);
        """;

    // When an idle worker must look again even if nothing is written: a delayed job comes due or a lease runs out.
    public const string NextRunAt = """
        SELECT MIN(run_at) FROM {prefix}jobs WHERE state = 'pending' AND queue = @queue;
        """;

    public const string NextLeaseExpiry = """
        SELECT MIN(lease_expires_at) FROM {prefix}jobs INDEXED BY {prefix}jobs_running_lease WHERE state = 'running';
        """;

    public const string IsActive = """
        SELECT EXISTS (SELECT 1 FROM {prefix}jobs WHERE id = @id AND state IN ('pending', 'running'));
        """;

    public const string CountActive = """
        SELECT (SELECT COUNT(*) FROM {prefix}jobs WHERE state = 'pending' AND (@queue IS NULL OR queue = @queue))
             + (SELECT COUNT(*) FROM {prefix}jobs WHERE state = 'running' AND (@queue IS NULL OR queue = @queue));
        """;

    public const string ListActiveIds = """
        SELECT id FROM (
            SELECT id FROM {prefix}jobs INDEXED BY {prefix}jobs_pending_fifo WHERE state = 'pending' AND (@queue IS NULL OR queue = @queue)
            UNION ALL
            SELECT id FROM {prefix}jobs INDEXED BY {prefix}jobs_running_lease WHERE state = 'running' AND (@queue IS NULL OR queue = @queue))
        ORDER BY id
        LIMIT @limit;
        """;

    public const string AnyLiveJobs = """
        SELECT EXISTS (SELECT 1 FROM {prefix}jobs WHERE state = 'pending')
            OR EXISTS (SELECT 1 FROM {prefix}jobs WHERE state = 'running');
        """;

    public const string QueueTableExists = """
        SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = @name);
        """;
}
