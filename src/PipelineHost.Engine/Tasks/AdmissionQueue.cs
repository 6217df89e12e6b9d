namespace PipelineHost.Engine.Tasks;

/// <summary>Host-wide queue figures at one instant: items waiting, and items holding a slot.</summary>
/// <param name="QueueDepth">Items waiting for a slot.</param>
/// <param name="Active">Items holding a slot.</param>
public readonly record struct QueueStats(int QueueDepth, int Active);

/// <summary>
/// A limit on how many items are active at once, with a FIFO queue for the rest. An item holds its slot from
/// the moment it leaves the queue (or enters with a slot free) until <see cref="Release"/>; a freed slot goes
/// to the oldest waiting item. A waiting item may carry an expiry, after which it is removed.
/// </summary>
/// <remarks>
/// The callbacks run after the queue's lock is released, on the thread that caused them (a caller of
/// <see cref="Release"/>/<see cref="TryWithdraw"/>, or the expiry timer), so they may call back into the queue.
/// Readers (<see cref="PositionOf"/>, <see cref="Stats"/>) only take the queue's own lock and call nothing,
/// so they are safe under any other lock.
/// </remarks>
/// <typeparam name="T">The item type; compared by reference.</typeparam>
public sealed class AdmissionQueue<T> : IDisposable
    where T : class
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Action<T> _admitted;
    private readonly Action<T> _expired;
    private readonly Action<T> _moved;
    private readonly LinkedList<Waiting> _waiting = new();
    private readonly Dictionary<T, LinkedListNode<Waiting>> _nodes = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<T, int> _positions = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<T> _active = new(ReferenceEqualityComparer.Instance);
    private bool _closed;

    /// <summary>Creates the queue.</summary>
    /// <param name="limit">Items that may be active at once; at least 1.</param>
    /// <param name="time">The clock the expiry timers run on.</param>
    /// <param name="admitted">An item left the queue and now holds a slot.</param>
    /// <param name="expired">A waiting item's expiry passed; it has been removed and holds nothing.</param>
    /// <param name="moved">A waiting item's position changed (it is still waiting).</param>
    public AdmissionQueue(int limit, TimeProvider time, Action<T> admitted, Action<T> expired, Action<T> moved)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        _time = time;
        _admitted = admitted;
        _expired = expired;
        _moved = moved;
    }

    /// <summary>Items that may be active at once.</summary>
    public int Limit { get; }

    /// <summary>Waiting and active counts, read together.</summary>
    public QueueStats Stats
    {
        get
        {
            lock (_lock)
            {
                return new QueueStats(_waiting.Count, _active.Count);
            }
        }
    }

    /// <summary>The item's 1-based place in the queue; 0 when it is not waiting.</summary>
    public int PositionOf(T item)
    {
        lock (_lock)
        {
            return _positions.GetValueOrDefault(item);
        }
    }

    /// <summary>
    /// Takes a slot for <paramref name="item"/> (true), or queues it at the back (false) when every slot is taken
    /// or others are already waiting. A queued item that is still waiting after <paramref name="expires"/> is
    /// removed and reported to the expiry callback; null or zero means it waits as long as it takes.
    /// </summary>
    public bool Enter(T item, TimeSpan? expires)
    {
        lock (_lock)
        {
            if (_active.Contains(item) || _nodes.ContainsKey(item))
            {
                throw new InvalidOperationException("The item is already in the queue.");
            }

            if (!_closed && _waiting.Count == 0 && _active.Count < Limit)
            {
                _active.Add(item);
                return true;
            }

            var waiting = new Waiting(item);
            _nodes[item] = _waiting.AddLast(waiting);
            _positions[item] = _waiting.Count;
            if (expires is { } after && after > TimeSpan.Zero)
            {
                waiting.Expiry = _time.CreateTimer(_ => Expire(waiting), null, after, Timeout.InfiniteTimeSpan);
            }

            return false;
        }
    }

    /// <summary>Removes a waiting item; false when it is not waiting (it holds a slot, or is unknown).</summary>
    public bool TryWithdraw(T item)
    {
        List<T> moved;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(item, out var node))
            {
                return false;
            }

            moved = Remove(node);
        }

        Report(moved, []);
        return true;
    }

    /// <summary>
    /// The item is done: its slot (if it held one) goes to the oldest waiting item; a waiting item is withdrawn.
    /// Unknown items are ignored, so calling this twice is harmless.
    /// </summary>
    public void Release(T item)
    {
        List<T> moved = [];
        List<T> admitted = [];
        lock (_lock)
        {
            if (_nodes.TryGetValue(item, out var node))
            {
                moved = Remove(node);
            }
            else if (_active.Remove(item))
            {
                while (!_closed && _active.Count < Limit && _waiting.First is { } first)
                {
                    _waiting.RemoveFirst();
                    _nodes.Remove(first.Value.Item);
                    _positions.Remove(first.Value.Item);
                    first.Value.Expiry?.Dispose();
                    _active.Add(first.Value.Item);
                    admitted.Add(first.Value.Item);
                }

                if (admitted.Count > 0)
                {
                    moved = Renumber(_waiting.First);
                }
            }
        }

        Report(moved, admitted);
    }

    /// <summary>No item is admitted from the queue any more (the host is stopping); waiting items stay until withdrawn.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true;
            foreach (var waiting in _waiting)
            {
                waiting.Expiry?.Dispose();
            }
        }
    }

    private void Expire(Waiting waiting)
    {
        List<T> moved;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(waiting.Item, out var node) || node.Value != waiting)
            {
                return;
            }

            moved = Remove(node);
        }

        _expired(waiting.Item);
        Report(moved, []);
    }

    // Under the lock: removes one waiting node and renumbers those behind it.
    private List<T> Remove(LinkedListNode<Waiting> node)
    {
        var next = node.Next;
        _waiting.Remove(node);
        _nodes.Remove(node.Value.Item);
        _positions.Remove(node.Value.Item);
        node.Value.Expiry?.Dispose();
        return Renumber(next);
    }

    // Under the lock: positions from `from` to the back, returning the items whose position changed.
    private List<T> Renumber(LinkedListNode<Waiting>? from)
    {
        var changed = new List<T>();
        if (from is null)
        {
            return changed;
        }

        var position = 1;
        for (var n = _waiting.First; n != from; n = n!.Next)
        {
            position++;
        }

        for (var n = from; n is not null; n = n.Next, position++)
        {
            if (_positions[n.Value.Item] != position)
            {
                _positions[n.Value.Item] = position;
                changed.Add(n.Value.Item);
            }
        }

        return changed;
    }

    private void Report(List<T> moved, List<T> admitted)
    {
        foreach (var item in admitted)
        {
            _admitted(item);
        }

        foreach (var item in moved)
        {
            _moved(item);
        }
    }

    private sealed class Waiting(T item)
    {
        public T Item { get; } = item;

        public ITimer? Expiry { get; set; }
    }
}
