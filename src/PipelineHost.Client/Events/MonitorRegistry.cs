using PipelineHost.Protocol;

namespace PipelineHost.Client;

/// <summary>
/// The client's event subscriptions. The server keeps one bitmask per key and <c>rrext_monitor</c> replaces it, so
/// several enumerations of one token share it: the client sends the union of their types and routes each event
/// to the enumerations that asked for it. It also remembers, per task token, the <c>__seq</c> of the last event
/// received, so a reconnect resumes each task's subscription after it (<c>sinceSeq</c>) instead of losing what was
/// sent while the connection was down.
/// </summary>
internal sealed class MonitorRegistry
{
    /// <summary>The key that means every task the caller may see.</summary>
    public const string AllTasks = "*";

    private readonly Lock _lock = new();
    private readonly List<EventSubscription> _subscriptions = [];
    private readonly Dictionary<string, long> _lastSeq = new(StringComparer.Ordinal);

    public void Add(EventSubscription subscription)
    {
        lock (_lock)
        {
            _subscriptions.Add(subscription);
        }
    }

    public void Remove(EventSubscription subscription)
    {
        lock (_lock)
        {
            _subscriptions.Remove(subscription);
            if (!_subscriptions.Exists(s => s.Key == subscription.Key))
            {
                _lastSeq.Remove(subscription.Key);
            }
        }
    }

    /// <summary>What the server must send for <paramref name="key"/>: the union of its subscriptions' types.</summary>
    public EventTypes TypesFor(string key)
    {
        lock (_lock)
        {
            var types = EventTypes.None;
            foreach (var subscription in _subscriptions)
            {
                if (subscription.Key == key)
                {
                    types |= subscription.Types;
                }
            }

            return types;
        }
    }

    /// <summary>
    /// Every key with its union, to replay after a reconnect, and for a task key the seq of the last event received
    /// from it (null when none was, or for <c>*</c>, whose events come from many tasks).
    /// </summary>
    public IReadOnlyList<(string Key, EventTypes Types, long? SinceSeq)> Active()
    {
        lock (_lock)
        {
            return _subscriptions.GroupBy(s => s.Key, StringComparer.Ordinal)
                .Select(g => (g.Key, g.Aggregate(EventTypes.None, (types, s) => types | s.Types), _lastSeq.TryGetValue(g.Key, out var seq) ? seq : (long?)null))
                .ToList();
        }
    }

    /// <summary>Hands an event to every subscription that wants it. Runs on the receive loop: never blocks.</summary>
    public void Route(EventMessage message)
    {
        EventSubscription[] subscriptions;
        lock (_lock)
        {
            if (_subscriptions.Count == 0)
            {
                return;
            }

            subscriptions = [.. _subscriptions];
        }

        var evt = PipelineEvent.FromMessage(message);
        if (evt.Seq is { } seq)
        {
            Remember(subscriptions, evt, seq);
        }

        var eventClass = EventTypeNames.ClassOf(message.Event);
        foreach (var subscription in subscriptions)
        {
            if (subscription.Wants(evt, eventClass))
            {
                subscription.Offer(evt);
            }
        }
    }

    // The server numbers each task's events and sends them in order, so the last one seen is where to resume.
    private void Remember(EventSubscription[] subscriptions, PipelineEvent evt, long seq)
    {
        lock (_lock)
        {
            foreach (var subscription in subscriptions)
            {
                if (subscription.Key != AllTasks && subscription.IsAbout(evt))
                {
                    _lastSeq[subscription.Key] = seq;
                }
            }
        }
    }

    /// <summary>Ends every enumeration, e.g. when the client is disposed.</summary>
    public void CompleteAll(Exception? error)
    {
        lock (_lock)
        {
            foreach (var subscription in _subscriptions)
            {
                subscription.Complete(error);
            }
        }
    }
}
