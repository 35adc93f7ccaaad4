namespace SqliteQueue.PostgreSql;

/// <summary>How the queue lives in a PostgreSQL database; see <see cref="PostgreSqlQueueOptionsExtensions.UsePostgreSql"/>.</summary>
public sealed class PostgreSqlOptions
{
    /// <summary>
    /// The schema that holds the queue's tables, created on first use when missing. Queues in different schemas of one
    /// database are independent; processes that share a queue must name the same schema.
    /// </summary>
    /// <value>The default is <c>sqlitequeue</c>. A lowercase letter, then up to 62 lowercase letters, digits or underscores.</value>
    public string Schema { get; set; } = "sqlitequeue";

    /// <summary>
    /// Whether idle workers are woken through PostgreSQL's LISTEN/NOTIFY as soon as any process makes jobs due, instead
    /// of at their next poll. Each store then keeps one connection open for listening. Turn it off behind a pooler
    /// that multiplexes transactions (PgBouncer in transaction mode), which cannot keep a LISTEN; workers then poll
    /// (<see cref="QueueWorkerOptions.PollInterval"/>).
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Notifications { get; set; } = true;
}
