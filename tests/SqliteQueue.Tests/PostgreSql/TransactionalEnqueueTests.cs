using Npgsql;
using SqliteQueue.PostgreSql;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.PostgreSql;

/// <summary>
/// Enqueue inside the application's own transaction on PostgreSQL: the job commits or rolls back with the
/// application's rows, is invisible until then, and wakes workers only once committed.
/// </summary>
public sealed class TransactionalEnqueueTests : IAsyncDisposable
{
    private readonly PostgreSqlSchema _schema;
    private readonly SqliteJobQueue _queue;

    public TransactionalEnqueueTests()
    {
        _schema = new PostgreSqlSchema();
        _queue = new SqliteJobQueue(new SqliteQueueOptions().UsePostgreSql(PostgreSqlServer.ConnectionString, o => o.Schema = _schema.Name));
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        await _schema.DisposeAsync();
    }

    /// <summary>The application's own table, beside the queue's in the same schema.</summary>
    private async Task CreateOrdersTableAsync()
    {
        await using var connection = await PostgreSqlServer.OpenAsync(_schema.ConnectionString);
        await using var create = new NpgsqlCommand("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL)", connection);
        await create.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task A_committed_transaction_commits_the_job_with_the_application_rows()
    {
        await CreateOrdersTableAsync();
        long id;
        await using (var connection = await PostgreSqlServer.OpenAsync(_schema.ConnectionString))
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await InsertOrderAsync(connection, tx, 1);
            id = await _queue.Client.EnqueueAsync(tx, "order.confirm", new { OrderId = 1 }, new EnqueueOptions { Queue = "orders" });

            // Until the application commits, no other connection (a worker's included) can see it.
            (await _queue.Client.GetJobAsync(id)).Should().BeNull();
            (await _queue.Create(new WorkerOptions { Queues = ["orders"] }).ClaimAsync()).Should().BeEmpty();
            await tx.CommitAsync();
        }

        var job = await _queue.Client.GetJobAsync(id);
        job.Should().NotBeNull();
        job!.State.Should().Be(JobState.Pending);
        job.PayloadJson.Should().Be("""{"orderId":1}""");
        var claimed = await _queue.Create(new WorkerOptions { Queues = ["orders"] }).ClaimAsync();
        claimed.Select(j => j.Id).Should().Equal(id);
        (await CountOrdersAsync()).Should().Be(1);
    }

    [Fact]
    public async Task A_rolled_back_transaction_leaves_neither_the_rows_nor_the_job()
    {
        await CreateOrdersTableAsync();
        long id;
        await using (var connection = await PostgreSqlServer.OpenAsync(_schema.ConnectionString))
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await InsertOrderAsync(connection, tx, 2);
            id = await _queue.Client.EnqueueJsonAsync(tx, "order.confirm", """{"orderId": 2}""");
            await tx.RollbackAsync();
        }

        (await _queue.Client.GetJobAsync(id)).Should().BeNull();
        (await _queue.Client.GetStatsAsync()).Queues.Should().BeEmpty();
        (await CountOrdersAsync()).Should().Be(0);
    }

    [Fact]
    public async Task A_deduplication_key_inside_the_transaction_names_the_live_job()
    {
        var first = await _queue.Client.EnqueueAsync("report", new { Day = 1 }, new EnqueueOptions { DeduplicationKey = "day-1" });
        await using var connection = await PostgreSqlServer.OpenAsync(_schema.ConnectionString);
        await using var tx = await connection.BeginTransactionAsync();
        var again = await _queue.Client.EnqueueAsync(tx, "report", new { Day = 1 }, new EnqueueOptions { DeduplicationKey = "day-1" });
        await tx.CommitAsync();

        again.Should().Be(first);
        (await _queue.Client.CountActiveAsync()).Should().Be(1);
    }

    [Fact]
    public async Task A_hosted_worker_runs_the_job_once_the_application_commits()
    {
        var ran = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var worker = new SqliteJobQueue(new SqliteQueueOptions().UsePostgreSql(PostgreSqlServer.ConnectionString, o => o.Schema = _schema.Name));
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            var w = worker.Create();
            while (!stop.IsCancellationRequested)
            {
                foreach (var job in await w.ClaimAsync(cancellationToken: stop.Token))
                {
                    await w.CompleteAsync(job);
                    ran.TrySetResult(job.Id);
                }

                await Task.Delay(20, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });

        long id;
        await using (var connection = await PostgreSqlServer.OpenAsync(_schema.ConnectionString))
        await using (var tx = await connection.BeginTransactionAsync())
        {
            id = await _queue.Client.EnqueueAsync(tx, "order.confirm", new { OrderId = 3 });
            await tx.CommitAsync();
        }

        (await ran.Task.WaitAsync(Eventually.Bound)).Should().Be(id);
        await stop.CancelAsync();
        await loop;
        (await _queue.Client.GetJobAsync(id))!.State.Should().Be(JobState.Completed);
    }

    [Fact]
    public async Task A_transaction_on_another_database_is_refused_and_names_the_transaction()
    {
        var other = new NpgsqlConnectionStringBuilder(PostgreSqlServer.ConnectionString) { Database = "postgres" }.ConnectionString;
        await using var connection = await PostgreSqlServer.OpenAsync(other);
        await using var tx = await connection.BeginTransactionAsync();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _queue.Client.EnqueueAsync(tx, "order.confirm", new { OrderId = 4 }));
        error.ParamName.Should().Be("transaction");
        error.Message.Should().Contain("'postgres'").And.Contain("sqlitequeue_test");
    }

    [Fact]
    public async Task Bad_arguments_are_refused_by_name()
    {
        await using var connection = await PostgreSqlServer.OpenAsync(_schema.ConnectionString);
        await using var tx = await connection.BeginTransactionAsync();
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => _queue.Client.EnqueueAsync(tx, "", new { A = 1 }))).ParamName.Should().Be("type");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => _queue.Client.EnqueueJsonAsync(tx, "t", "{not json"))).ParamName.Should().Be("payloadJson");
        (await Assert.ThrowsAnyAsync<ArgumentException>(() => _queue.Client.EnqueueAsync(tx, "t", new { A = 1 }, new EnqueueOptions { Priority = int.MaxValue })))
            .ParamName.Should().Be("options.Priority");
        (await Assert.ThrowsAsync<ArgumentNullException>(() => _queue.Client.EnqueueAsync(null!, "t", new { A = 1 }))).ParamName.Should().Be("transaction");

        await using var sqlite = new TestDatabase();
        await using var sqliteQueue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = sqlite.ConnectionString });
        (await Assert.ThrowsAsync<ArgumentException>(() => sqliteQueue.Client.EnqueueAsync(tx, "t", new { A = 1 }))).ParamName.Should().Be("client");
    }

    private static async Task InsertOrderAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long id)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO orders VALUES (@id, 10)", connection, tx);
        insert.Parameters.AddWithValue("id", id);
        await insert.ExecuteNonQueryAsync();
    }

    private async Task<long> CountOrdersAsync()
    {
        await using var connection = await PostgreSqlServer.OpenAsync(_schema.ConnectionString);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM orders", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
