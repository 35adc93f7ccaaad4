using Microsoft.Extensions.Logging;
using Npgsql;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Diagnostics;
using SqliteQueue.Internal.Events;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// The queue's store on PostgreSQL: the same jobs, states and fencing as the SQLite store, each operation one short
/// READ COMMITTED transaction on a pooled connection of one <see cref="NpgsqlDataSource"/>. Concurrent claims never
/// wait for each other (<c>FOR UPDATE SKIP LOCKED</c>); settles lock only their own rows. Other processes' new work is
/// heard through LISTEN/NOTIFY (see the wake-up part).
/// </summary>
internal sealed partial class PostgreSqlJobStore : IJobStore
{
    // A write that lost a serialization or deadlock race is run again whole, at most this many times in all.
    private const int MaxWriteAttempts = 5;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly bool _systemClock;

    // The database the queue's connections open, which an application's transaction must be on to enqueue in it.
    private readonly string _database;
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private volatile bool _initialized;
    private volatile bool _disposed;

    public PostgreSqlJobStore(StoreContext context, string connectionString, PostgreSqlOptions pgOptions)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(pgOptions);
        PostgreSqlOptionsRules.ThrowIfInvalid(pgOptions);
        Options = context.Options;
        Time = context.Time;
        // A copy: the caller's object may change after the store has named its schema and channel.
        PgOptions = new PostgreSqlOptions { Schema = pgOptions.Schema, Notifications = pgOptions.Notifications };
        _logger = context.LoggerFactory.CreateLogger("SqliteQueue.PostgreSql");
        _systemClock = ReferenceEquals(context.Time, TimeProvider.System);
        Sql = new PgSqlText(pgOptions.Schema);
        Channel = ChannelName(pgOptions.Schema);

        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (pgOptions.Notifications && builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            // Prepared once per pooled connection; left off behind a transaction pooler, which may not keep them.
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }

        _dataSource = builder.Build();
        _database = builder.ConnectionStringBuilder.Database ?? builder.ConnectionStringBuilder.Username ?? "";
        Display = $"'{builder.ConnectionStringBuilder.Host}/{builder.ConnectionStringBuilder.Database ?? builder.ConnectionStringBuilder.Username}', schema '{pgOptions.Schema}'";
        Metrics = new QueueMetrics(new StoreGauges(this), context.MeterFactory);
    }

    public SqliteQueueOptions Options { get; }

    public TimeProvider Time { get; }

    public PostgreSqlOptions PgOptions { get; }

    public PgSqlText Sql { get; }

    /// <summary>The NOTIFY channel of this schema's queue.</summary>
    public string Channel { get; }

    /// <summary>The server, database and schema, for messages; never the password.</summary>
    public string Display { get; }

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The value bound to <c>@now</c>: null on the system clock, so statements read the database's clock.</summary>
    public long? NowParameter => _systemClock ? null : NowMs;

    public QueueMetrics Metrics { get; }

    public JobEvents Events { get; } = new();

    public ChangeNotifier Changes { get; } = new();

    public ChangeNotifier Available { get; } = new();

    public event Action<long>? CancelRequested;

    public void RaiseCancelRequested(long jobId) => CancelRequested?.Invoke(jobId);

    private static string ChannelName(string schema)
    {
        var name = "sqlitequeue_" + schema;
        if (name.Length <= 63)
        {
            return name;
        }

        // NOTIFY channels are identifiers (63 bytes at most): a long schema keeps a prefix and a hash of the whole.
        var hash = 2166136261u;
        foreach (var c in schema)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name[..54]}_{hash:x8}");
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        await _initGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            try
            {
                await MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (PostgreSqlErrors.IsDriverError(ex))
            {
                throw PostgreSqlErrors.Translate(ex, Display);
            }

            _initialized = true;
        }
        finally
        {
            _initGate.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction and returns its result once committed. The finished counts it
    /// changed and its wake-up notification join the transaction just before the commit. A transaction that lost a
    /// serialization or deadlock race is run again whole; any other database error reaches the caller translated.
    /// </summary>
    public async Task<T> WriteAsync<TState, T>(TState state, Func<WriteTx, TState, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var tx = new WriteTx(this);
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await using (transaction.ConfigureAwait(false))
                    {
                        tx.Bind(connection, transaction);
                        var result = await work(tx, state, cancellationToken).ConfigureAwait(false);
                        await tx.BeforeCommitAsync(cancellationToken).ConfigureAwait(false);
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                        tx.AfterCommit(_logger);
                        return result;
                    }
                }
            }
            catch (PostgresException ex) when (PostgreSqlErrors.IsRaceLost(ex) && attempt < MaxWriteAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 << attempt)), TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (PostgreSqlErrors.IsDriverError(ex))
            {
                throw PostgreSqlErrors.Translate(ex, Display);
            }
        }
    }

    /// <summary>Runs a read on a pooled connection, outside any transaction unless <paramref name="read"/> begins one.</summary>
    public async Task<T> ReadAsync<TState, T>(TState state, Func<NpgsqlConnection, TState, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await read(connection, state, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (PostgreSqlErrors.IsDriverError(ex))
        {
            throw PostgreSqlErrors.Translate(ex, Display);
        }
    }

    /// <summary>A command for <paramref name="template"/> on <paramref name="connection"/>, with <c>@now</c> bound when the statement uses it.</summary>
    public NpgsqlCommand Command(string template, NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        var text = Sql[template];
        var command = new NpgsqlCommand(text, connection, transaction);
        if (text.Contains("@now", StringComparison.Ordinal))
        {
            command.Parameters.Add(Params.Bigint("now", NowParameter));
        }

        return command;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        StopListener();
        Metrics.Dispose();
        _dataSource.Dispose();
        _initGate.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopListenerAsync().ConfigureAwait(false);
        Metrics.Dispose();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _initGate.Dispose();
    }
}
