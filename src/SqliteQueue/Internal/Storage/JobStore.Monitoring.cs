using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Monitoring;
using SqliteQueue.Internal.Storage.Monitoring;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Monitoring;

namespace SqliteQueue.Internal.Storage;

/// <summary>The SQLite store's side of the monitor's seam (<see cref="IMonitorStore"/>): the workers table, the health figures and the throughput series.</summary>
internal sealed partial class JobStore : IMonitorStore
{
    public long SchemaVersionExpected => Migrator.LatestVersion;

    public bool RecordsIntegrityChecks => true;

    public async Task<IReadOnlyList<ExpiredWorker>> WriteWorkerAsync(WorkerBeat beat, CancellationToken cancellationToken) =>
        await WriteAsync(beat, static (s, tx, b) =>
        {
            var now = s.NowMs;
            var c = tx.Connection!;
            var gone = c.Query<ExpiredRow>(new CommandDefinition(s.Sql[MonitoringSql.DeleteExpiredWorkers], new { now }, tx))
                .Select(r => new ExpiredWorker(r.Id, r.Host, r.ProcessId)).ToList();
            c.Execute(new CommandDefinition(s.Sql[MonitoringSql.UpsertWorker], new
            {
                id = b.Id,
                host = b.Host,
                process_id = b.ProcessId,
                queues = b.Queues,
                concurrency = b.Concurrency,
                started_at = b.StartedAt,
                now,
                expires_at = now + b.ExpiryMs,
            }, tx));
            return gone;
        }, cancellationToken).ConfigureAwait(false);

    public Task DeleteWorkerAsync(string workerId, CancellationToken cancellationToken) =>
        WriteAsync(workerId, static (s, tx, id) =>
            tx.Connection!.Execute(new CommandDefinition(s.Sql[MonitoringSql.DeleteWorker], new { id }, tx)), cancellationToken);

    public async Task<IReadOnlyList<WorkerInfo>> ListLiveWorkersAsync(CancellationToken cancellationToken) =>
        await ReadAsync(0, static (s, c, _) => s.ListLiveWorkers(c, s.NowMs), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Reads on a reader connection of its own rather than through the store's first-use initialization, which
    /// would migrate the file: a check never writes. A memory database has only the writer's connection to read on.
    /// </summary>
    public Task<HealthReading> ReadHealthAsync(CancellationToken cancellationToken)
    {
        if (IsMemory)
        {
            return ReadAsync(0, static (s, c, _) => s.ReadHealth(c, s.NowMs), cancellationToken);
        }

        try
        {
            using var connection = Connections.OpenReader();
            return Task.FromResult(ReadHealth(connection, NowMs));
        }
        catch (SqliteException ex)
        {
            throw StoreErrors.Translate(ex, DataSource);
        }
    }

    public async Task<IReadOnlyList<ThroughputCount>> ReadThroughputAsync(long fromMinute, long toMinute, CancellationToken cancellationToken) =>
        await ReadAsync((fromMinute, toMinute), static (s, c, range) =>
            c.Query<(long Minute, string Outcome, long N)>(new CommandDefinition(
                s.Sql[MonitoringSql.ThroughputSince], new { from_minute = range.fromMinute, to_minute = range.toMinute }))
                .Select(r => new ThroughputCount(r.Minute, Outcomes.Parse(r.Outcome), r.N)).ToList(),
            cancellationToken).ConfigureAwait(false);

    private List<WorkerInfo> ListLiveWorkers(SqliteConnection c, long now) =>
        c.Query<WorkerRow>(new CommandDefinition(Sql[MonitoringSql.ListLiveWorkers], new { now }))
            .Select(r => WorkerRegistry.ToInfo(r.Id, r.Host, r.ProcessId, r.Queues, r.Concurrency, r.StartedAt, r.HeartbeatAt, r.ExpiresAt))
            .ToList();

    /// <summary>
    /// The figures on one connection. Reading stops at the first thing that makes the rest unreadable (a schema other
    /// than this library's), and the figures read so far stay.
    /// </summary>
    private HealthReading ReadHealth(SqliteConnection c, long now)
    {
        var reading = new HealthReading { Now = now };
        var fileVersion = Convert.ToInt64(ConnectionFactory.Scalar(c, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
        if (fileVersion > Migrator.LatestVersion)
        {
            reading.SchemaVersion = fileVersion;
            return reading;
        }

        // Several prefixes may share a file, each at its own version: this store's is the one that matters.
        reading.SchemaVersion = Migrator.PrefixVersion(c, null, Sql);
        if (reading.SchemaVersion != Migrator.LatestVersion)
        {
            return reading;
        }

        reading.SchemaCurrent = true;
        reading.Runnable.AddRange(c.Query<HealthReading.RunnableRow>(new CommandDefinition(Sql[JobSql.RunnableByQueue], new { now })));
        reading.DeadLastHour = c.ExecuteScalar<long>(new CommandDefinition(
            Sql[MonitoringSql.DeadSince], new { since = now - (long)HealthReading.DeadWindow.TotalMilliseconds }));
        reading.LiveWorkers = ListLiveWorkers(c, now).Count;
        reading.BrokenRecurring.AddRange(c.Query<string>(new CommandDefinition(Sql[MonitoringSql.BrokenRecurring])));
        var runs = ListRuns(c);
        reading.Integrity = runs.FirstOrDefault(r => r.Task == MaintenanceRuns.Integrity);
        reading.Prune = runs.FirstOrDefault(r => r.Task == MaintenanceRuns.Prune);
        var path = StorageFiles.DatabasePath(c);
        reading.FileBytes = StorageFiles.Length(path);
        reading.WalBytes = StorageFiles.WalLength(path);
        return reading;
    }

    private sealed class ExpiredRow
    {
        public string Id { get; set; } = "";

        public string Host { get; set; } = "";

        public long ProcessId { get; set; }
    }

    private sealed class WorkerRow
    {
        public string Id { get; set; } = "";

        public string Host { get; set; } = "";

        public long ProcessId { get; set; }

        public string Queues { get; set; } = "";

        public long Concurrency { get; set; }

        public long StartedAt { get; set; }

        public long HeartbeatAt { get; set; }

        public long ExpiresAt { get; set; }
    }
}
