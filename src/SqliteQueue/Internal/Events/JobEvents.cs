using SqliteQueue.Events;

namespace SqliteQueue.Internal.Events;

/// <summary>The observers of one store's job lifecycle, called after each change is committed.</summary>
internal sealed class JobEvents
{
    private volatile IJobObserver[] _observers = [];

    /// <summary>Whether any observer listens: callers build no event without one.</summary>
    public bool HasObservers => _observers.Length > 0;

    public IDisposable Subscribe(IJobObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (this)
        {
            _observers = [.. _observers, observer];
        }

        return new Subscription(this, observer);
    }

    public void Raise(JobEvent jobEvent)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.OnJobEvent(jobEvent);
            }
            catch (Exception)
            {
                // An observer never breaks the queue.
            }
        }
    }

    private void Unsubscribe(IJobObserver observer)
    {
        lock (this)
        {
            _observers = [.. _observers.Where(o => !ReferenceEquals(o, observer))];
        }
    }

    private sealed class Subscription(JobEvents events, IJobObserver observer) : IDisposable
    {
        public void Dispose() => events.Unsubscribe(observer);
    }
}
