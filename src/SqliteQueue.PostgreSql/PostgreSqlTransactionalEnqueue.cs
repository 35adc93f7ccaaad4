using Npgsql;
using SqliteQueue.Internal;
using SqliteQueue.PostgreSql.Internal;

namespace SqliteQueue.PostgreSql;

/// <summary>
/// Enqueues inside the application's own PostgreSQL transaction, so a job exists if and only if the application's
/// rows committed with it (the outbox pattern, with no outbox to drain).
/// </summary>
public static class PostgreSqlTransactionalEnqueue
{
    /// <summary>
    /// Enqueues a job inside <paramref name="transaction"/>: it commits or rolls back with it. Workers hear of it when the
    /// transaction commits (the wake-up notification is part of the transaction), not before.
    /// </summary>
    /// <typeparam name="TPayload">The payload type, serialized with the queue's <see cref="SqliteQueueOptions.JsonSerializerOptions"/>.</typeparam>
    /// <param name="client">The client of a queue on PostgreSQL (<see cref="PostgreSqlQueueOptionsExtensions.UsePostgreSql"/>).</param>
    /// <param name="transaction">An open transaction on the queue's database. The queue never commits, rolls back or disposes it.</param>
    /// <param name="type">The job type, as for <see cref="IQueueClient.EnqueueAsync{TPayload}"/>.</param>
    /// <param name="payload">The payload.</param>
    /// <param name="options">Queue, priority, delay, deduplication key and the rest, as for <see cref="IQueueClient.EnqueueAsync{TPayload}"/>.</param>
    /// <param name="cancellationToken">Cancels the insert (the application's transaction is then in an error state).</param>
    /// <returns>The new job's id, or the id of the live job with the same deduplication key.</returns>
    /// <exception cref="ArgumentException">
    /// A bad argument, named; <paramref name="client"/> is not a PostgreSQL queue's; or <paramref name="transaction"/> is on
    /// another database than the queue's, or is no longer open.
    /// </exception>
    /// <remarks>
    /// Observers (<see cref="Events.IJobObserver"/>) are not told of the job: its commit is the application's, and the queue
    /// cannot see it. Until the application commits, the job is invisible to every other connection, workers included.
    /// </remarks>
    public static Task<long> EnqueueAsync<TPayload>(
        this IQueueClient client, NpgsqlTransaction transaction, string type, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (queueClient, store) = Resolve(client, transaction);
        var (job, now) = queueClient.Prepare(type, payload, options);
        return InsertAsync(queueClient, store, transaction, job, now, cancellationToken);
    }

    /// <summary>As <see cref="EnqueueAsync{TPayload}"/>, with the payload given as JSON text, stored exactly as written.</summary>
    /// <param name="client">The client of a queue on PostgreSQL.</param>
    /// <param name="transaction">An open transaction on the queue's database.</param>
    /// <param name="type">The job type.</param>
    /// <param name="payloadJson">The payload: well-formed JSON.</param>
    /// <param name="options">The job's options, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The new job's id, or the id of the live job with the same deduplication key.</returns>
    /// <exception cref="ArgumentException">A bad argument, named, as for <see cref="EnqueueAsync{TPayload}"/>.</exception>
    public static Task<long> EnqueueJsonAsync(
        this IQueueClient client, NpgsqlTransaction transaction, string type, string payloadJson, EnqueueOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (queueClient, store) = Resolve(client, transaction);
        var (job, now) = queueClient.PrepareJson(type, payloadJson, options);
        return InsertAsync(queueClient, store, transaction, job, now, cancellationToken);
    }

    private static (QueueClient Client, PostgreSqlJobStore Store) Resolve(IQueueClient client, NpgsqlTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(transaction);
        return client is QueueClient { Store: PostgreSqlJobStore store } queueClient
            ? (queueClient, store)
            : throw new ArgumentException(
                $"Enqueueing inside an NpgsqlTransaction needs the client of a queue on PostgreSQL (UsePostgreSql); this one is a {client.GetType().Name} over another store.",
                nameof(client));
    }

    private static async Task<long> InsertAsync(
        QueueClient client, PostgreSqlJobStore store, NpgsqlTransaction transaction, SqliteQueue.Internal.Storage.JobInsert job, long now, CancellationToken cancellationToken)
    {
        var id = await store.InsertInTransactionAsync(transaction, job, now, cancellationToken).ConfigureAwait(false);
        store.Metrics.Sent(job.Queue, 1, errorType: null);
        return id;
    }
}
