namespace SqliteQueue.Benchmarks;

/// <summary>
/// The storage engine's own one-statement claim of several jobs, for the raw baselines: <c>UPDATE ... WHERE id IN
/// (subquery) RETURNING</c>, prepared once. The library's claim of several jobs reads and then updates them by id.
/// </summary>
internal static class RawSql
{
    private const string Set = """
        UPDATE {prefix}jobs
        SET state = 'running', attempt = attempt + 1, lease_owner = @owner, lease_token = @token,
            lease_expires_at = @until, started_at = @now
        """;

    private const string Returning = "RETURNING id, queue, type, payload, priority, attempt, max_attempts, timeout_ms, created_at, run_at;";

    public const string ClaimManyFifo = $$"""
        {{Set}}
        WHERE id IN (SELECT id FROM {prefix}jobs
                     WHERE queue = @queue AND state = 'pending' AND run_at <= @now
                     ORDER BY run_at, id LIMIT @limit)
        {{Returning}}
        """;

    public const string ClaimManyLifo = $$"""
        {{Set}}
        WHERE id IN (SELECT id FROM {prefix}jobs
                     WHERE queue = @queue AND state = 'pending' AND run_at <= @now
                     ORDER BY run_at DESC, id DESC LIMIT @limit)
        {{Returning}}
        """;

    public const string ClaimManyPriority = $$"""
        {{Set}}
        WHERE id IN (SELECT id FROM {prefix}jobs
                     WHERE queue = @queue AND state = 'pending' AND run_at <= @now
                     ORDER BY priority, run_at, id LIMIT @limit)
        {{Returning}}
        """;

    public const string ClaimManyInClass = $$"""
        {{Set}}
        WHERE id IN (SELECT id FROM {prefix}jobs
                     WHERE queue = @queue AND state = 'pending' AND priority = @priority AND run_at <= @now
                     ORDER BY run_at, id LIMIT @limit)
        {{Returning}}
        """;
}
