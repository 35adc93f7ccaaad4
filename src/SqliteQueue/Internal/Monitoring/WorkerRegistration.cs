using Microsoft.Extensions.Logging;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.Internal.Monitoring;

/// <summary>
/// One hosted worker group's row in <c>{prefix}workers</c>: written when the group starts, beaten every
/// <see cref="SqliteQueueOptions.WorkerHeartbeatInterval"/> while it runs, deleted when it stops. Each write also
/// deletes the rows of workers that stopped beating (their process died), so the table never holds more than the
/// workers running now and the ones that died within the last expiry. A failed write is logged and tried again at the
/// next beat: the registry is for people and health checks, and must never stop a worker.
/// </summary>
internal sealed class WorkerRegistration
{
    private readonly IMonitorStore _store;
    private readonly string _id;
    private readonly string _queues;
    private readonly int _concurrency;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private long _startedAt;

    public WorkerRegistration(IMonitorStore store, string workerId, IReadOnlyList<string> queues, int concurrency, ILogger logger)
    {
        _store = store;
        _id = workerId;
        _queues = WorkerRegistry.QueuesToText(queues);
        _concurrency = concurrency;
        _logger = logger;
        _interval = store.Options.WorkerHeartbeatInterval;
    }

    public static string Host { get; } = Environment.MachineName;

    /// <summary>Writes the row for the first time; false (logged) when it could not be written, and the next beat tries again.</summary>
    public async Task<bool> RegisterAsync(CancellationToken cancellationToken)
    {
        _startedAt = _store.NowMs;
        if (!await WriteAsync(cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        _logger.WorkerRegistered(_id, Host, Environment.ProcessId, _interval);
        return true;
    }

    /// <summary>Beats until <paramref name="token"/> fires.</summary>
    public async Task BeatAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_interval, _store.Time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await WriteAsync(token).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the row at a graceful stop, so the worker leaves listings at once rather than at its expiry.</summary>
    public async Task UnregisterAsync()
    {
        try
        {
            await _store.DeleteWorkerAsync(_id, CancellationToken.None).ConfigureAwait(false);
            _logger.WorkerUnregistered(_id);
        }
        catch (Exception ex)
        {
            _logger.WorkerUnregisterFailed(ex, _id, _interval * WorkerRegistry.ExpiryBeats);
        }
    }

    private async Task<bool> WriteAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<ExpiredWorker> expired;
        try
        {
            expired = await _store.WriteWorkerAsync(
                new WorkerBeat(_id, Host, Environment.ProcessId, _queues, _concurrency, _startedAt, (long)(_interval * WorkerRegistry.ExpiryBeats).TotalMilliseconds),
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            _logger.WorkerBeatFailed(ex, _id, _interval);
            return false;
        }

        foreach (var row in expired)
        {
            // This worker's own row, swept because this process stalled past its expiry, was written again just now.
            if (row.Id != _id)
            {
                _logger.WorkerExpired(row.Id, row.Host, row.ProcessId);
            }
        }

        return true;
    }
}
