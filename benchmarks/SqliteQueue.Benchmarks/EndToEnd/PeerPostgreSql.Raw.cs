using System.Diagnostics;
using Npgsql;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>W1 and W2 as raw SQL on the queue's own tables: the baseline.</summary>
internal static partial class PeerPostgreSql
{
    /// <summary>The queue's tables and indexes in a new schema (its own migration), so the baseline writes the same rows into the same indexes.</summary>
    private static async Task<string> RawSchemaAsync(string cs, string prefix, int fill)
    {
        var schema = NewSchema(prefix);
        await using var queue = new SqliteJobQueue(QueueOptions(cs, schema));
        await queue.InitializeAsync();
        if (fill > 0)
        {
            await PeerBenchmark.FillAsync(queue, fill);
        }

        return schema;
    }

    /// <summary>W1 raw: one prepared INSERT per transaction (BEGIN, INSERT, COMMIT) through Npgsql, one connection.</summary>
    private static async Task<double> RawEnqueueAsync(string cs, int jobs)
    {
        var schema = await RawSchemaAsync(cs, "raw_w1", 0);
        try
        {
            var options = new SqliteQueueOptions();
            var payloads = Enumerable.Range(0, jobs).Select(i => BenchmarkData.PayloadJson(i, options)).ToArray();
            await using var connection = new NpgsqlConnection(cs);
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO {schema}.jobs (queue, type, payload, priority, state, run_at, max_attempts, created_at) " +
                "VALUES ($1, $2, $3, 0, 'pending', $4, $5, $4)", connection);
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = QueueNames.Default });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = BenchmarkData.JobType });
            insert.Parameters.Add(new NpgsqlParameter<string>());
            insert.Parameters.Add(new NpgsqlParameter<long>());
            insert.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.DefaultMaxAttempts });
            await insert.PrepareAsync();
            var watch = Stopwatch.StartNew();
            foreach (var payload in payloads)
            {
                await using var tx = await connection.BeginTransactionAsync();
                insert.Transaction = tx;
                ((NpgsqlParameter<string>)insert.Parameters[2]).TypedValue = payload;
                ((NpgsqlParameter<long>)insert.Parameters[3]).TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await insert.ExecuteNonQueryAsync();
                await tx.CommitAsync();
            }

            return jobs / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }

    /// <summary>
    /// W2 raw: 4 connections, each looping: claim up to 32 with a FOR UPDATE SKIP LOCKED CTE (one statement, its own
    /// transaction), then complete those with one UPDATE ... WHERE id = ANY(ids) (no history rows), until a claim finds none.
    /// </summary>
    private static async Task<double> RawDrainAsync(string cs, int jobs)
    {
        var schema = await RawSchemaAsync(cs, "raw_w2", jobs);
        try
        {
            var claimSql =
                $"""
                WITH picked AS MATERIALIZED (
                    SELECT id FROM {schema}.jobs
                    WHERE state = 'pending' AND queue = $1 AND run_at <= $2
                    ORDER BY run_at, id LIMIT {ClaimBatch}
                    FOR UPDATE SKIP LOCKED)
                UPDATE {schema}.jobs j
                SET state = 'running', attempt = j.attempt + 1, lease_owner = $3, lease_token = $4,
                    lease_expires_at = $2 + 30000, started_at = $2
                FROM picked p WHERE j.id = p.id
                RETURNING j.id, j.type, j.payload, j.attempt, j.max_attempts
                """;
            var completeSql =
                $"UPDATE {schema}.jobs SET state = 'completed', finished_at = $1, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL " +
                "WHERE id = ANY($2) AND state = 'running' AND lease_token = $3";
            var connections = new List<NpgsqlConnection>();
            for (var i = 0; i < Concurrency; i++)
            {
                var connection = new NpgsqlConnection(cs);
                await connection.OpenAsync();
                connections.Add(connection);
            }

            var done = 0;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(connections.Select((connection, n) => Task.Run(async () =>
            {
                await using var claim = new NpgsqlCommand(claimSql, connection);
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = QueueNames.Default });
                claim.Parameters.Add(new NpgsqlParameter<long>());
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"raw-{n}" });
                claim.Parameters.Add(new NpgsqlParameter<long>());
                await claim.PrepareAsync();
                await using var complete = new NpgsqlCommand(completeSql, connection);
                complete.Parameters.Add(new NpgsqlParameter<long>());
                complete.Parameters.Add(new NpgsqlParameter<long[]>());
                complete.Parameters.Add(new NpgsqlParameter<long>());
                await complete.PrepareAsync();
                var ids = new List<long>(ClaimBatch);
                while (true)
                {
                    var token = Random.Shared.NextInt64(1, long.MaxValue);
                    ((NpgsqlParameter<long>)claim.Parameters[1]).TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    ((NpgsqlParameter<long>)claim.Parameters[3]).TypedValue = token;
                    ids.Clear();
                    await using (var reader = await claim.ExecuteReaderAsync())
                    {
                        while (await reader.ReadAsync())
                        {
                            // Every column a handler needs, read as the queue reads them.
                            ids.Add(reader.GetInt64(0));
                            _ = reader.GetString(1).Length + reader.GetString(2).Length + reader.GetInt32(3) + reader.GetInt32(4);
                        }
                    }

                    if (ids.Count == 0)
                    {
                        return;
                    }

                    ((NpgsqlParameter<long>)complete.Parameters[0]).TypedValue = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    ((NpgsqlParameter<long[]>)complete.Parameters[1]).TypedValue = [.. ids];
                    ((NpgsqlParameter<long>)complete.Parameters[2]).TypedValue = token;
                    Interlocked.Add(ref done, await complete.ExecuteNonQueryAsync());
                }
            }))).WaitAsync(TimeSpan.FromMinutes(10));
            var rate = jobs / watch.Elapsed.TotalSeconds;
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            if (done != jobs)
            {
                throw new InvalidOperationException($"Raw drain completed {done} of {jobs} jobs.");
            }

            return rate;
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }
}
