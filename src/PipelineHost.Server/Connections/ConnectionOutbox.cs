using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using PipelineHost.Protocol;

namespace PipelineHost.Server.Connections;

/// <summary>
/// The only writer of one WebSocket. Responses are never dropped; events are bounded: a queued event with the
/// same coalescing key (a task's status update) is replaced by the newer one, and a connection whose queue
/// still overflows is closed as hopelessly behind rather than slowing the server down. Assigns the
/// connection's <c>seq</c> as messages go on the wire, so it is shared by responses and events and increasing.
/// </summary>
internal sealed class ConnectionOutbox(int maxQueuedEvents, Action<string> onOverflow)
{
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
    private long _seq;
    private bool _overflowed;

    /// <summary>Events replaced by a newer one before they were sent.</summary>
    public long CoalescedCount { get; private set; }

    /// <summary>Messages written to the socket.</summary>
    public long SentCount { get; private set; }

    /// <summary>Queues a response; it is always delivered while the socket is open.</summary>
    public void Send(ResponseMessage response) => _queue.Writer.TryWrite(new Slot(response, null));

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
                pending.Message = evt;
                CoalescedCount++;
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

                _queuedEvents++;
                _queue.Writer.TryWrite(slot);
                return true;
            }
        }

        onOverflow($"send queue overflow: more than {maxQueuedEvents} events waiting");
        return false;
    }

    /// <summary>Sends what is queued, then a close frame.</summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        _queue.Writer.TryWrite(new Slot(null, null) { Close = (status, reason) });
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
            if (slot.Close is { } closing)
            {
                await close(closing.Status, closing.Reason, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (Take(slot) is { } message)
            {
                await send(message with { Seq = ++_seq }, cancellationToken).ConfigureAwait(false);
                SentCount++;
            }
        }
    }

    /// <summary>Writes queued messages to a WebSocket, encoded with <paramref name="codec"/>.</summary>
    public Task RunAsync(WebSocket socket, IMessageCodec codec, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        return RunAsync(
            async (message, ct) =>
            {
                if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    return;
                }

                buffer.ResetWrittenCount();
                var binary = codec.Encode(message, buffer);
                await socket.SendAsync(buffer.WrittenMemory, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, ct)
                    .ConfigureAwait(false);
                if (buffer.Capacity > 1 << 20)
                {
                    // Do not pin a huge buffer for the connection's life after one large message.
                    buffer = new ArrayBufferWriter<byte>(16 * 1024);
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

    private ProtocolMessage? Take(Slot slot)
    {
        if (slot.Message is not EventMessage)
        {
            return slot.Message;
        }

        lock (_lock)
        {
            _queuedEvents--;
            if (slot.CoalesceKey is not null)
            {
                _pendingByKey.Remove(slot.CoalesceKey);
            }

            return slot.Message;
        }
    }
}
