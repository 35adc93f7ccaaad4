using Npgsql;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Monitoring;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Monitoring;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>The monitor's seam (<see cref="IMonitorStore"/>): the workers table, the health figures and the throughput series.</summary>
internal sealed partial class PostgreSqlJobStore : IMonitorStore
{
    public string DataSource => Display;

    public long SchemaVersionExpected => LatestVersion;

    // The server's own tools (amcheck, pg_dump) check a database; maintenance records none here.
    public bool RecordsIntegrityChecks => false;

    public Task<IReadOnlyList<ExpiredWorker>> WriteWorkerAsync(WorkerBeat beat, CancellationToken cancellationToken) =>
        WriteAsync(beat, static async (tx, b, ct) =>
        {
            var gone = new List<ExpiredWorker>();
            var sweep = tx.Command(PgSql.SweepWorkers);
            await using (sweep.ConfigureAwait(false))
            {
                var r = await sweep.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(ct).ConfigureAwait(false))
                    {
                        gone.Add(new ExpiredWorker(r.GetString(0), r.GetString(1), r.GetInt64(2)));
                    }
                }
            }

            var upsert = tx.Command(PgSql.UpsertWorker).With(
                Params.Text("id", b.Id),
                Params.Text("host", b.Host),
                Params.Bigint("process_id", b.ProcessId),
                Params.Text("queues", b.Queues),
                Params.Integer("concurrency", b.Concurrency),
                Params.Bigint("started_at", b.StartedAt),
                Params.Bigint("expiry_ms", b.ExpiryMs));
            await using (upsert.ConfigureAwait(false))
            {
                await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return (IReadOnlyList<ExpiredWorker>)gone;
        }, cancellationToken);

    public Task DeleteWorkerAsync(string workerId, CancellationToken cancellationToken) =>
        WriteAsync(workerId, static async (tx, id, ct) =>
        {
            var command = tx.Command(PgSql.DeleteWorker).With(Params.Text("id", id));
            await using (command.ConfigureAwait(false))
            {
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }, cancellationToken);

    public Task<IReadOnlyList<WorkerInfo>> ListLiveWorkersAsync(CancellationToken cancellationToken) =>
        ReadAsync(0, async (connection, _, ct) => (IReadOnlyList<WorkerInfo>)await ListLiveWorkersAsync(connection, null, ct).ConfigureAwait(false), cancellationToken);

    /// <summary>
    /// Reads on a connection of its own rather than through the store's first-use initialization, which would create
    /// or migrate the schema: a check reports the schema as it is. One REPEATABLE READ snapshot, so the figures agree.
    /// </summary>
    public async Task<HealthReading> ReadHealthAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var reading = await ReadHealthAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return reading;
                }
            }
        }
        catch (Exception ex) when (PostgreSqlErrors.IsDriverError(ex))
        {
            throw PostgreSqlErrors.Translate(ex, Display);
        }
    }

    public Task<IReadOnlyList<ThroughputCount>> ReadThroughputAsync(long fromMinute, long toMinute, CancellationToken cancellationToken) =>
        ReadAsync((fromMinute, toMinute), async (connection, range, ct) =>
        {
            var counts = new List<ThroughputCount>();
            var command = Command(PgSql.ThroughputSince, connection).With(
                Params.Bigint("from_minute", range.fromMinute), Params.Bigint("to_minute", range.toMinute));
            await using (command.ConfigureAwait(false))
            {
                var r = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(ct).ConfigureAwait(false))
                    {
                        counts.Add(new ThroughputCount(r.GetInt64(0), Outcomes.Parse(r.GetString(1)), r.GetInt64(2)));
                    }
                }
            }

            return (IReadOnlyList<ThroughputCount>)counts;
        }, cancellationToken);

    private async Task<List<WorkerInfo>> ListLiveWorkersAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var workers = new List<WorkerInfo>();
        var command = Command(PgSql.ListLiveWorkers, connection, transaction);
        await using (command.ConfigureAwait(false))
        {
            var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (r.ConfigureAwait(false))
            {
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    workers.Add(WorkerRegistry.ToInfo(
                        r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetInt32(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7)));
                }
            }
        }

        return workers;
    }

    /// <summary>
    /// The figures in one snapshot. Reading stops at the first thing that makes the rest unreadable (a schema missing,
    /// older or newer than this code's), and the figures read so far stay.
    /// </summary>
    private async Task<HealthReading> ReadHealthAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        var now = await ScalarAsync<long>(c, tx, PgSql.DatabaseNow, cancellationToken).ConfigureAwait(false);
        var reading = new HealthReading { Now = now };
        reading.SchemaVersion = await ScalarAsync<bool>(c, tx, PgSql.VersionTableExists, cancellationToken).ConfigureAwait(false)
            ? await ScalarAsync<int>(c, tx, PgSql.SchemaVersion, cancellationToken).ConfigureAwait(false)
            : 0;
        if (reading.SchemaVersion != LatestVersion)
        {
            return reading;
        }

        reading.SchemaCurrent = true;
        var runnable = Command(PgSql.RunnableByQueue, c, tx);
        await using (runnable.ConfigureAwait(false))
        {
            var r = await runnable.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (r.ConfigureAwait(false))
            {
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    reading.Runnable.Add(new HealthReading.RunnableRow { Queue = r.GetString(0), Count = r.GetInt64(1), OldestRunAt = r.GetInt64(2) });
                }
            }
        }

        reading.DeadLastHour = await ScalarAsync<long>(
            c, tx, PgSql.DeadSince, cancellationToken, Params.Bigint("since", now - (long)HealthReading.DeadWindow.TotalMilliseconds)).ConfigureAwait(false);
        reading.LiveWorkers = (await ListLiveWorkersAsync(c, tx, cancellationToken).ConfigureAwait(false)).Count;
        if (await ScalarAsync<bool>(c, tx, PgSql.RecurringTableExists, cancellationToken).ConfigureAwait(false))
        {
            var broken = Command(PgSql.BrokenRecurring, c, tx);
            await using (broken.ConfigureAwait(false))
            {
                var r = await broken.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (r.ConfigureAwait(false))
                {
                    while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        reading.BrokenRecurring.Add(r.GetString(0));
                    }
                }
            }
        }

        var runs = await ListRunsAsync(c, tx, cancellationToken).ConfigureAwait(false);
        reading.Integrity = runs.FirstOrDefault(r => r.Task == MaintenanceRuns.Integrity);
        reading.Prune = runs.FirstOrDefault(r => r.Task == MaintenanceRuns.Prune);
        return reading;
    }

    private async Task<T> ScalarAsync<T>(NpgsqlConnection c, NpgsqlTransaction? tx, string template, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        var command = Command(template, c, tx).With(parameters);
        await using (command.ConfigureAwait(false))
        {
            return (T)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
    }
}
