namespace SqliteQueue;

/// <summary>The base of the exceptions the queue throws for its own conditions.</summary>
public class SqliteQueueException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SqliteQueueException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public SqliteQueueException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public SqliteQueueException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>The database file cannot be used: it is not SQLite, or it was written by a newer version of the queue. The file is left unchanged.</summary>
public sealed class IncompatibleDatabaseException : SqliteQueueException
{
    /// <summary>Creates the exception.</summary>
    public IncompatibleDatabaseException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong with the file.</param>
    public IncompatibleDatabaseException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong with the file.</param>
    /// <param name="innerException">The cause.</param>
    public IncompatibleDatabaseException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>Another process held the write lock for longer than the busy timeout, every time the store retried.</summary>
public sealed class QueueBusyException : SqliteQueueException
{
    /// <summary>Creates the exception.</summary>
    public QueueBusyException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was waited for.</param>
    public QueueBusyException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was waited for.</param>
    /// <param name="innerException">The last lock error.</param>
    public QueueBusyException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A job asked for does not exist.</summary>
public sealed class JobNotFoundException : SqliteQueueException
{
    /// <summary>Creates the exception.</summary>
    public JobNotFoundException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Which job.</param>
    public JobNotFoundException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">Which job.</param>
    /// <param name="innerException">The cause.</param>
    public JobNotFoundException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>
/// The store could not read or write its file: the disk is full, the file or its folder is read-only, an I/O error
/// occurred, or the file is damaged. The operation was not applied (a write is all or nothing) and no committed job
/// was lost; once the cause is gone, the same call succeeds. SQLite's own error is the inner exception.
/// </summary>
public sealed class QueueStorageException : SqliteQueueException
{
    /// <summary>Creates the exception.</summary>
    public QueueStorageException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What could not be done, and why.</param>
    public QueueStorageException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What could not be done, and why.</param>
    /// <param name="innerException">SQLite's error.</param>
    public QueueStorageException(string message, Exception? innerException) : base(message, innerException) { }
}
