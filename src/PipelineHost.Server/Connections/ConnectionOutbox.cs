using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Framing;

namespace PipelineHost.Server.Connections;

/// <summary>
/// The only writer of one WebSocket. Responses are never dropped; events are bounded: a queued event with the
/// same coalescing key (a task's status update) is replaced by the newer one, and a connection whose queue
/// still overflows is closed as hopelessly behind rather than slowing the server down. Assigns the
/// connection's <c>seq</c> as messages go on the wire, so it is shared by responses and events and increasing.
/// </summary>
/// <remarks>
/// An idle connection holds no send buffer: messages are encoded into a buffer rented from the shared pool and
/// given back once the queue is empty, so ten thousand idle subscribers do not pin ten thousand buffers.
/// </remarks>
internal sealed class ConnectionOutbox(int maxQueuedEvents, Action<string> onOverflow, EventDeliveryStats? stats = null)
{
    // An encode buffer above this is not given back to the shared pool (the pool would keep it).
    private const int PooledCapacity = 1 << 20;

    private sealed class Slot(ProtocolMessage? message, string? coalesceKey)
    {
        public ProtocolMessage? Message { get; set; } = message;
        public string? CoalesceKey { get; } = coalesceKey;
        public (WebSocketCloseStatus Status, string Reason)? Close { get; init; }
    }

    private readonly Channel<Slot> _queue = Channel.CreateUnbounded<Slot>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Slot> _pendingByKey = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _queuedEvents;
    private int _queued; // slots written to the channel and not yet read
    private long _seq;
    private bool _overflowed;
    private Slot? _lastEvent; // the event queued last, which a newer one of its key may replace in place

    /// <summary>Events replaced by a newer one before they were sent.</summary>
    public long CoalescedCount { get; private set; }

    /// <summary>Messages written to the socket.</summary>
    public long SentCount { get; private set; }

    /// <summary>Queues a response; it is always delivered while the socket is open.</summary>
    public void Send(ResponseMessage response) => Enqueue(new Slot(response, null));

    /// <summary>
    /// Queues an event. With a <paramref name="coalesceKey"/>, a still-queued event of the same key is replaced.
    /// Returns false when the connection fell hopelessly behind (it is being closed).
    /// </summary>
    public bool Send(EventMessage evt, string? coalesceKey = null)
    {
        lock (_lock)
        {
            if (_overflowed)
            {
                return false;
            }

            if (coalesceKey is not null && _pendingByKey.TryGetValue(coalesceKey, out var pending))
            {
                CoalescedCount++;
                stats?.CountCoalesced();
                if (ReferenceEquals(pending, _lastEvent))
                {
                    pending.Message = evt;
                    return true;
                }

                // Events were queued after the older one: replacing it in place would send the newer one ahead of
                // them, out of its task's __seq order. So the older slot is emptied and the newer event goes to the
                // back; the emptied slot keeps counting against the cap until it is read, so the count is unchanged.
                pending.Message = null;
                var replacement = new Slot(evt, coalesceKey);
                _pendingByKey[coalesceKey] = replacement;
                _lastEvent = replacement;
                Enqueue(replacement);
                return true;
            }

            if (_queuedEvents >= maxQueuedEvents)
            {
                _overflowed = true;
            }
            else
            {
                var slot = new Slot(evt, coalesceKey);
                if (coalesceKey is not null)
                {
                    _pendingByKey[coalesceKey] = slot;
                }

                _lastEvent = slot;

                _queuedEvents++;
                Enqueue(slot);
                return true;
            }
        }

        onOverflow($"send queue overflow: more than {maxQueuedEvents} events waiting");
        return false;
    }

    /// <summary>Sends what is queued, then a close frame.</summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        Enqueue(new Slot(null, null) { Close = (status, reason) });
        _queue.Writer.TryComplete();
    }

    /// <summary>Stops accepting messages; the writer loop ends once the queue is empty.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>
    /// Writes queued messages through <paramref name="send"/> (which gets each message with its <c>seq</c>
    /// assigned) until completed, a close is reached, or a send fails.
    /// </summary>
    public async Task RunAsync(
        Func<ProtocolMessage, CancellationToken, ValueTask> send,
        Func<WebSocketCloseStatus, string, CancellationToken, ValueTask> close,
        CancellationToken cancellationToken)
    {
        await foreach (var slot in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            Interlocked.Decrement(ref _queued);
            if (slot.Close is { } closing)
            {
                await close(closing.Status, closing.Reason, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (Take(slot) is { } message)
            {
                await send(message with { Seq = ++_seq }, cancellationToken).ConfigureAwait(false);
                SentCount++;
                if (message is EventMessage)
                {
                    stats?.CountSent();
                }
            }
        }
    }

    /// <summary>Writes queued messages to a WebSocket, encoded with <paramref name="codec"/>.</summary>
    public Task RunAsync(WebSocket socket, IMessageCodec codec, CancellationToken cancellationToken)
    {
        var buffer = new PooledBufferWriter(PooledCapacity);
        return RunAsync(
            async (message, ct) =>
            {
                if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    return;
                }

                try
                {
                    buffer.Reset();
                    var binary = codec.Encode(message, buffer);
                    await socket.SendAsync(buffer.WrittenMemory, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, ct)
                        .ConfigureAwait(false);
                }
                finally
                {
                    if (Volatile.Read(ref _queued) == 0)
                    {
                        buffer.Release(); // idle: the buffer goes back to the pool until the next message
                    }
                }
            },
            async (status, reason, ct) =>
            {
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(status, reason, ct).ConfigureAwait(false);
                }
            },
            cancellationToken);
    }

    private void Enqueue(Slot slot)
    {
        // Counted before it can be read, so the count is never below what the reader still has to take.
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(slot))
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    private ProtocolMessage? Take(Slot slot)
    {
        if (slot.Message is ResponseMessage || (slot.Message is null && slot.CoalesceKey is null))
        {
            return slot.Message;
        }

        lock (_lock)
        {
            if (slot.Message is null)
            {
                // Emptied by a newer event of its key: the count moves to that event's slot, read later.
                return null;
            }

            _queuedEvents--;

            if (slot.CoalesceKey is not null && _pendingByKey.TryGetValue(slot.CoalesceKey, out var pending) && ReferenceEquals(pending, slot))
            {
                _pendingByKey.Remove(slot.CoalesceKey);
            }

            return slot.Message;
        }
    }
}
