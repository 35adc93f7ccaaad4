using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SqliteQueue.Events;

namespace SqliteQueue.Internal.Events;

/// <summary>
/// The observers of one store's job lifecycle, called after each change is committed. The list is copied on write and
/// read once per event, so raising takes no lock; observers from the container are resolved at the first event
/// (see <see cref="SubscribeDeferred"/>).
/// </summary>
internal sealed class JobEvents
{
    private readonly Lock _gate = new();
    private volatile IJobObserver[] _observers = [];

    /// <summary>Where an observer's failure is logged; set by the queue that owns the store.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Whether any observer listens: callers build no event without one.</summary>
    public bool HasObservers => _observers.Length > 0;

    public IDisposable Subscribe(IJobObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_gate)
        {
            _observers = [.. _observers, observer];
        }

        return new Subscription(this, observer);
    }

    /// <summary>
    /// Adds the observers <paramref name="resolve"/> returns, resolved when the first event is raised: resolving them
    /// while the queue itself is being built would be a cycle for an observer that takes the queue or its client.
    /// They keep the place of this call among the observers, and are resolved once, even if that fails.
    /// </summary>
    public void SubscribeDeferred(Func<IEnumerable<IJobObserver>> resolve)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        lock (_gate)
        {
            _observers = [.. _observers, new Deferred(resolve)];
        }
    }

    public void Raise(JobEvent jobEvent)
    {
        foreach (var observer in _observers)
        {
            if (observer is Deferred deferred)
            {
                foreach (var resolved in Resolve(deferred))
                {
                    Call(resolved, jobEvent);
                }
            }
            else
            {
                Call(observer, jobEvent);
            }
        }
    }

    private void Call(IJobObserver observer, JobEvent jobEvent)
    {
        try
        {
            observer.OnJobEvent(jobEvent);
        }
        catch (Exception ex)
        {
            // An observer never breaks the queue, nor keeps the event from the observers after it.
            Logger.ObserverFailed(ex, observer.GetType().Name, jobEvent.Kind, jobEvent.JobId, jobEvent.Type);
        }
    }

    /// <summary>Resolves deferred observers once and puts them in its place, so later events find a plain list.</summary>
    private IJobObserver[] Resolve(Deferred deferred)
    {
        lock (_gate)
        {
            if (deferred.Resolved is { } done)
            {
                return done;
            }

            if (deferred.Resolving)
            {
                // An observer's construction raised an event on this thread: it cannot see itself being built.
                return [];
            }

            deferred.Resolving = true;
            IJobObserver[] resolved;
            try
            {
                resolved = [.. deferred.Resolve()];
            }
            catch (Exception ex)
            {
                Logger.ObserversUnresolved(ex);
                resolved = [];
            }
            finally
            {
                deferred.Resolving = false;
            }

            deferred.Resolved = resolved;
            var at = Array.IndexOf(_observers, deferred);
            if (at >= 0)
            {
                _observers = [.. _observers[..at], .. resolved, .. _observers[(at + 1)..]];
            }

            return resolved;
        }
    }

    private void Unsubscribe(IJobObserver observer)
    {
        lock (_gate)
        {
            // Only the first match goes: the same observer subscribed twice is called until both are disposed.
            var at = Array.IndexOf(_observers, observer);
            if (at >= 0)
            {
                _observers = [.. _observers[..at], .. _observers[(at + 1)..]];
            }
        }
    }

    /// <summary>Stands in the list for the container's observers until the first event resolves them.</summary>
    private sealed class Deferred(Func<IEnumerable<IJobObserver>> resolve) : IJobObserver
    {
        public Func<IEnumerable<IJobObserver>> Resolve { get; } = resolve;

        public IJobObserver[]? Resolved { get; set; }

        public bool Resolving { get; set; }

        public void OnJobEvent(JobEvent jobEvent)
        {
            // Never called: Raise resolves it instead.
        }
    }

    private sealed class Subscription(JobEvents events, IJobObserver observer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                events.Unsubscribe(observer);
            }
        }
    }
}
