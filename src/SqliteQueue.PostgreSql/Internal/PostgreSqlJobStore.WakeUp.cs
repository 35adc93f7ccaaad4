using Microsoft.Extensions.Logging;
using Npgsql;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// Hearing other processes' new work: one dedicated connection LISTENs on the schema's channel, started by the first
/// idle worker that asks and reconnected with backoff when lost. Each notification bumps the data version and ends the
/// current wake task. While the listener is not connected (or notifications are off) the data version is fresh on
/// every read, so every poll claims instead of trusting a signal that cannot come.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    // A listener silent this long checks that its connection is still alive.
    private static readonly TimeSpan ListenerPing = TimeSpan.FromSeconds(30);

    private readonly Lock _listenerLock = new();
    private readonly CancellationTokenSource _listenerStop = new();
    private Task? _listener;
    private TaskCompletionSource _wake = NewWake();
    private long _version;
    private long _unheard;
    private volatile bool _listening;

    public Task? NextWakeSignal()
    {
        if (!PgOptions.Notifications)
        {
            return null;
        }

        EnsureListener();
        return Volatile.Read(ref _wake).Task;
    }

    public long ReadDataVersion()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Negative values never meet the notification count, which only grows from zero.
        return PgOptions.Notifications && _listening ? Interlocked.Read(ref _version) : -Interlocked.Increment(ref _unheard);
    }

    private void EnsureListener()
    {
        if (_listener is not null)
        {
            return;
        }

        lock (_listenerLock)
        {
            if (_listener is null && !_disposed)
            {
                _listener = Task.Run(() => ListenAsync(_listenerStop.Token));
            }
        }
    }

    private async Task ListenAsync(CancellationToken stop)
    {
        var delay = FirstRetry;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await InitializeAsync(stop).ConfigureAwait(false);
                var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += OnNotification;
                    var listen = new NpgsqlCommand($"LISTEN \"{Channel}\";", connection);
                    await using (listen.ConfigureAwait(false))
                    {
                        await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                    }

                    _listening = true;
                    delay = FirstRetry;
                    _logger.ListenerConnected(Display, Channel);

                    // Work made while nobody listened is not announced: waiters look again now.
                    Wake();
                    while (!stop.IsCancellationRequested)
                    {
                        if (!await connection.WaitAsync(ListenerPing, stop).ConfigureAwait(false))
                        {
                            var ping = new NpgsqlCommand("SELECT 1;", connection);
                            await using (ping.ConfigureAwait(false))
                            {
                                await ping.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                            }
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or SqliteQueueException or IOException or TimeoutException)
            {
                _listening = false;
                Wake();
                _logger.ListenerLost(ex, Display, delay);
                try
                {
                    await Task.Delay(delay, TimeProvider.System, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetry.Ticks));
            }
            finally
            {
                _listening = false;
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e) => Wake();

    private void Wake()
    {
        Interlocked.Increment(ref _version);
        Interlocked.Exchange(ref _wake, NewWake()).TrySetResult();
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void StopListener()
    {
        _listenerStop.Cancel();
        try
        {
            _listener?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The listener ends by its cancellation; anything else it met was already logged.
        }

        _listenerStop.Dispose();
    }

    private async Task StopListenerAsync()
    {
        await _listenerStop.CancelAsync().ConfigureAwait(false);
        if (_listener is { } listener)
        {
            try
            {
                await listener.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                // The listener ends by its cancellation.
            }
        }

        _listenerStop.Dispose();
    }
}
