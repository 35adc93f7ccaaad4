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
    private readonly JobStore _store;
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
        _store = new JobStore(options, timeProvider ?? TimeProvider.System, _loggerFactory.CreateLogger("SqliteQueue.Store"), meterFactory);
        _store.Events.Logger = _loggerFactory.CreateLogger("SqliteQueue.Events");
        Client = new QueueClient(_store, _loggerFactory.CreateLogger("SqliteQueue.Store"));
        RecurringJobs = new RecurringJobs(_store, _loggerFactory.CreateLogger("SqliteQueue.Recurring"));
        _scheduler = new RecurringScheduler(_store, RecurringJobs, _loggerFactory.CreateLogger("SqliteQueue.Recurring"));
        _maintenance = new QueueMaintenance(_store);
        Monitor = new QueueMonitor(_store, _loggerFactory.CreateLogger("SqliteQueue.Health"));
    }

    /// <summary>The live workers of every process on this file, and the file's health report.</summary>
    public IQueueMonitor Monitor { get; }

    private readonly QueueMaintenance _maintenance;

    /// <summary>The maintenance of this store: prune, checkpoint, vacuum, back up, check, and change jobs in bulk.</summary>
    public IQueueMaintenance Maintenance => _maintenance;

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
        return new MaintenanceRunner(_store, _maintenance, options, _loggerFactory.CreateLogger("SqliteQueue.Maintenance")).RunAsync(cancellationToken);
    }

    private readonly RecurringScheduler _scheduler;

    /// <summary>The producer side of this store.</summary>
    public IQueueClient Client { get; }

    /// <summary>The recurring jobs of this store: create, change, pause, trigger and inspect schedules.</summary>
    public IRecurringJobs Recurring => RecurringJobs;

    internal RecurringJobs RecurringJobs { get; }

    /// <summary>
    /// Fires this store's recurring jobs until <paramref name="cancellationToken"/> fires: it sleeps until the next
    /// occurrence of any active schedule and enqueues its job. Hosts built with <c>AddSqliteQueue</c> run this for you;
    /// call it yourself only without one. Any number of processes may run it on one file: each occurrence fires once.
    /// </summary>
    /// <param name="cancellationToken">Stops the scheduler.</param>
    /// <returns>A task that ends when the scheduler has stopped.</returns>
    public Task RunRecurringSchedulerAsync(CancellationToken cancellationToken) => _scheduler.RunAsync(cancellationToken);

    internal RecurringScheduler Scheduler => _scheduler;

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

    internal JobStore Store => _store;

    /// <summary>Closes the store's connections.</summary>
    public void Dispose() => _store.Dispose();

    /// <summary>Closes the store's connections.</summary>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync() => _store.DisposeAsync();
}
