using Npgsql;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// An enqueue inside the application's own transaction (the outbox pattern): the job is written on the application's
/// connection and commits or rolls back with the application's rows. Its wake-up notification is part of that
/// transaction too, so workers elsewhere hear of the job only once it is committed.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    public async Task<long> InsertInTransactionAsync(NpgsqlTransaction transaction, JobInsert job, long now, CancellationToken cancellationToken)
    {
        CheckSameDatabase(transaction);

        // The schema is made on the store's own connection: DDL inside the application's transaction would be undone
        // with it, and would hold its locks until the application commits.
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var tx = new WriteTx(this);
        tx.Bind(transaction.Connection!, transaction);
        try
        {
            var (id, created) = await InsertOneAsync(tx, job, now, cancellationToken).ConfigureAwait(false);
            if (created && job.RunAtMs <= now)
            {
                tx.MakesDue(job.Queue);
            }

            await tx.BeforeCommitAsync(cancellationToken).ConfigureAwait(false);
            return id;
        }
        catch (Exception ex) when (PostgreSqlErrors.IsDriverError(ex))
        {
            throw PostgreSqlErrors.Translate(ex, Display);
        }
    }

    /// <summary>
    /// A transaction on another database would commit the job where no worker of this queue looks: refused, rather than
    /// lose the job silently. (Another server with a database of the same name and this schema is not told apart.)
    /// </summary>
    private void CheckSameDatabase(NpgsqlTransaction transaction)
    {
        var connection = transaction.Connection
            ?? throw new ArgumentException("The transaction has already been committed or rolled back.", nameof(transaction));
        if (!string.Equals(connection.Database, _database, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The transaction is on the database '{connection.Database}' but the queue's is '{_database}': a job enqueued there would never " +
                "be seen by this queue's workers. Open the transaction on the queue's database.",
                nameof(transaction));
        }
    }
}
