namespace SqliteQueue.Internal.Diagnostics;

/// <summary>Attribute names and fixed values of the queue's spans and instruments (OpenTelemetry messaging conventions, then our own).</summary>
internal static class Tags
{
    public const string MessagingSystem = "messaging.system";
    public const string OperationName = "messaging.operation.name";
    public const string OperationType = "messaging.operation.type";
    public const string Destination = "messaging.destination.name";
    public const string MessageId = "messaging.message.id";
    public const string BatchCount = "messaging.batch.message_count";
    public const string ErrorType = "error.type";
    public const string JobType = "sqlitequeue.job.type";
    public const string Attempt = "sqlitequeue.job.attempt";
    public const string Priority = "sqlitequeue.job.priority";
    public const string Outcome = "sqlitequeue.job.outcome";
    public const string RecurringName = "sqlitequeue.recurring.name";
    public const string RecurringOutcome = "sqlitequeue.recurring.outcome";
    public const string State = "sqlitequeue.job.state";

    public const string System = "sqlitequeue";
    public const string Send = "send";
    public const string Process = "process";
}

/// <summary>What became of one attempt, as the <c>sqlitequeue.job.outcome</c> attribute says it.</summary>
internal static class ProcessOutcomes
{
    public const string Completed = "completed";
    public const string Retry = "retry";
    public const string Dead = "dead";
    public const string Cancelled = "cancelled";
    public const string Timeout = "timeout";
    public const string Released = "released";
    public const string LeaseLost = "lease_lost";

    /// <summary>The outcome could not be written (the settle failed); the lease runs out and the job is retaken.</summary>
    public const string Error = "error";

    /// <summary>The <c>error.type</c> of an attempt stopped by its timeout, which has no exception of its own.</summary>
    public const string TimeoutErrorType = "timeout";

    /// <summary>The <c>error.type</c> of an attempt whose lease was lost: nothing it did was written.</summary>
    public const string LeaseLostErrorType = "lease_lost";
}
