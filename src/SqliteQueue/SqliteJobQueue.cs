using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SqliteQueue.DependencyInjection;
using SqliteQueue.Diagnostics;
using SqliteQueue.Events;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Monitoring;
using SqliteQueue.Internal.Recurring;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Internal.Stores;
using SqliteQueue.Maintenance;
using SqliteQueue.Monitoring;
using SqliteQueue.Recurring;

namespace SqliteQueue;

/// <summary>
/// One queue store over one SQLite file: its <see cref="Client"/> and its workers share one writer connection.
/// Create one per file and process (dependency injection does this for you) and dispose it at shutdown.
/// </summary>
public sealed class SqliteJobQueue : IWorkerFactory, IDisposable, IAsyncDisposable
{
    private readonly IJobStore _store;
    private readonly JobStore? _sqlite;
    private readonly ILoggerFactory _loggerFactory;

    /// <summary>
    /// Opens a queue store. The file is opened, checked and migrated on first use, or by <see cref="InitializeAsync"/>.
    /// An in-memory database is held open from here until the store is disposed.
    /// </summary>
    /// <param name="options">The store's options; validated here.</param>
    /// <param name="timeProvider">The clock. The default is <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Where logs go. The default discards them.</param>
    /// <param name="meterFactory">
    /// Creates the store's meter (<see cref="SqliteQueueDiagnostics.MeterName"/>), as dependency injection does. The
    /// default is a meter of the store's own, disposed with it.
    /// </param>
    /// <exception cref="OptionsValidationException">An option is out of range; the message names it.</exception>
    public SqliteJobQueue(SqliteQueueOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new SqliteQueueOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SqliteQueueOptions), validation.Failures);
        }

        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        var time = timeProvider ?? TimeProvider.System;
        _store = options.StoreFactory?.Invoke(new StoreContext(options, time, _loggerFactory, meterFactory))
            ?? new JobStore(options, time, _loggerFactory.CreateLogger("SqliteQueue.Store"), meterFactory);
        _store.Events.Logger = _loggerFactory.CreateLogger("SqliteQueue.Events");
        Client = new QueueClient(_store, _loggerFactory.CreateLogger("SqliteQueue.Store"));

        if (_store is IRecurringStore recurring)
        {
            _recurring = new RecurringJobs(recurring, _loggerFactory.CreateLogger("SqliteQueue.Recurring"));
            _scheduler = new RecurringScheduler(recurring, _recurring, _loggerFactory.CreateLogger("SqliteQueue.Recurring"));
        }

        // The file operations of maintenance (checkpoint, vacuum, backup, integrity) exist for the SQLite file only.
        _sqlite = _store as JobStore;
        if (_store is IMaintenanceStore maintenance)
        {
            _maintenance = new QueueMaintenance(maintenance, _sqlite);
        }

        if (_store is IMonitorStore monitor)
        {
            _monitor = new QueueMonitor(monitor, _loggerFactory.CreateLogger("SqliteQueue.Health"));
        }
    }

    private readonly RecurringJobs? _recurring;
    private readonly RecurringScheduler? _scheduler;
    private readonly QueueMaintenance? _maintenance;
    private readonly QueueMonitor? _monitor;

    /// <summary>The live workers of every process on this file, and the file's health report.</summary>
    /// <exception cref="NotSupportedException">The store does not keep the monitor's records.</exception>
    public IQueueMonitor Monitor => _monitor ?? throw NotOnThisStore("The monitor");

    /// <summary>The maintenance of this store: prune, checkpoint, vacuum, back up, check, and change jobs in bulk.</summary>
    /// <exception cref="NotSupportedException">The store does not support maintenance.</exception>
    public IQueueMaintenance Maintenance => _maintenance ?? throw NotOnThisStore("Maintenance");

    /// <summary>
    /// Runs maintenance on the schedule <paramref name="options"/> sets until <paramref name="cancellationToken"/> fires.
    /// Hosts built with <c>AddSqliteQueue</c> run this for you; call it yourself only without one. Any number of
    /// processes may run it on one file: one at a time holds the maintenance lease and does the work, and another
    /// takes over within <see cref="MaintenanceOptions.LeaseDuration"/> when it stops.
    /// </summary>
    /// <param name="options">What to do and how often, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops maintenance and gives up the lease.</param>
    /// <returns>A task that ends when maintenance has stopped.</returns>
    /// <exception cref="OptionsValidationException">An option is out of range; the message names it.</exception>
    public Task RunMaintenanceAsync(MaintenanceOptions? options, CancellationToken cancellationToken)
    {
        options ??= new MaintenanceOptions();
        MaintenanceOptionsValidator.ThrowIfInvalid(options);
        var maintenance = _maintenance ?? throw NotOnThisStore("Maintenance");
        return new MaintenanceRunner((IMaintenanceStore)_store, _sqlite, maintenance, options, _loggerFactory.CreateLogger("SqliteQueue.Maintenance")).RunAsync(cancellationToken);
    }

    /// <summary>The producer side of this store.</summary>
    public IQueueClient Client { get; }

    /// <summary>The recurring jobs of this store: create, change, pause, trigger and inspect schedules.</summary>
    /// <exception cref="NotSupportedException">The store is not SQLite: recurring jobs do not run on it yet.</exception>
    public IRecurringJobs Recurring => RecurringJobs;

    internal RecurringJobs RecurringJobs => _recurring ?? throw NotOnThisStore("Recurring jobs");

    /// <summary>
    /// Fires this store's recurring jobs until <paramref name="cancellationToken"/> fires: it sleeps until the next
    /// occurrence of any active schedule and enqueues its job. Hosts built with <c>AddSqliteQueue</c> run this for you;
    /// call it yourself only without one. Any number of processes may run it on one file: each occurrence fires once.
    /// </summary>
    /// <param name="cancellationToken">Stops the scheduler.</param>
    /// <returns>A task that ends when the scheduler has stopped.</returns>
    public Task RunRecurringSchedulerAsync(CancellationToken cancellationToken) => Scheduler.RunAsync(cancellationToken);

    internal RecurringScheduler Scheduler => _scheduler ?? throw NotOnThisStore("Recurring jobs");

    /// <summary>Whether this queue's store supports maintenance.</summary>
    internal bool HasMaintenance => _maintenance is not null;

    /// <summary>Whether this queue's store keeps recurring jobs.</summary>
    internal bool HasRecurring => _recurring is not null;

    private NotSupportedException NotOnThisStore(string part) =>
        new($"{part} is not supported by this queue's store ({_store.GetType().Name}) yet.");

    /// <summary>
    /// Calls <paramref name="observer"/> after each change in a job's life made by this process (enqueued, started,
    /// completed, failed, dead, cancelled), until the returned subscription is disposed.
    /// </summary>
    /// <param name="observer">The observer; see <see cref="IJobObserver"/> for when it is called.</param>
    /// <returns>The subscription: dispose it to stop observing (disposing it again changes nothing).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="observer"/> is null.</exception>
    /// <remarks>
    /// Observers are called in the order they subscribed, after those registered in the container with
    /// <see cref="SqliteQueueBuilder.AddObserver{TObserver}"/>. Subscribing the same observer twice calls it twice.
    /// </remarks>
    public IDisposable Subscribe(IJobObserver observer) => _store.Events.Subscribe(observer);

    /// <summary>Opens, checks and migrates the file now rather than on first use.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that ends when the store is ready.</returns>
    /// <exception cref="IncompatibleDatabaseException">The file is not SQLite, or its schema is newer than this library.</exception>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => _store.InitializeAsync(cancellationToken);

    /// <inheritdoc />
    public IWorker Create(WorkerOptions? options = null) =>
        new Worker(_store, options ?? new WorkerOptions(), _loggerFactory.CreateLogger("SqliteQueue.Worker"));

    internal IJobStore Store => _store;

    /// <summary>The SQLite store, for the parts that speak its SQL.</summary>
    internal JobStore SqliteStore => _sqlite ?? throw NotOnThisStore("This part");

    /// <summary>Closes the store's connections.</summary>
    public void Dispose() => _store.Dispose();

    /// <summary>Closes the store's connections.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync() => _store.DisposeAsync();
}
