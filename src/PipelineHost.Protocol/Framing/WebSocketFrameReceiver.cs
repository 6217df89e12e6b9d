using System.Buffers;
using System.Net.WebSockets;

namespace PipelineHost.Protocol.Framing;

/// <summary>One whole WebSocket message as received; <see cref="Payload"/> is valid until the next receive.</summary>
/// <param name="Payload">The message's bytes.</param>
/// <param name="Binary">True for a binary frame, false for a text frame.</param>
public readonly record struct ReceivedFrame(ReadOnlyMemory<byte> Payload, bool Binary);

/// <summary>A message larger than the configured maximum; the receiver stopped reading it.</summary>
public sealed class FrameTooLargeException(long maximum)
    : Exception($"The message exceeds the maximum size of {maximum} bytes.")
{
    /// <summary>The configured maximum in bytes.</summary>
    public long Maximum { get; } = maximum;
}

/// <summary>
/// Assembles WebSocket fragments into whole messages, stopping at a size cap before buffering more. One per
/// socket: reads must be sequential.
/// </summary>
/// <remarks>
/// Each message is first read into a small buffer of the receiver's own; one that does not fit there (most
/// requests do) continues in a buffer rented from the shared pool, which goes back when the next message is
/// asked for. An idle connection (most subscribers, most of the time) therefore holds no large buffer. (An
/// empty read would hold none at all, but Kestrel's upgraded stream answers it at once as if the peer had left.)
/// Messages over <see cref="LargeMessageBuffers.SmallLimit"/> continue in a buffer of the given
/// <see cref="LargeMessageBuffers"/> (a server's, which gives the memory back after a burst), or of the shared pool.
/// </remarks>
public sealed class WebSocketFrameReceiver(WebSocket socket, long maxMessageSize, LargeMessageBuffers? largeBuffers = null)
{
    private const int FirstReadSize = 256;
    private const int ChunkSize = 16 * 1024;

    private readonly byte[] _first = new byte[FirstReadSize];
    private byte[] _buffer = [];

    /// <summary>
    /// The largest message the next <see cref="ReceiveAsync"/> accepts. A server lowers it until the peer has
    /// authenticated; reading stops (nothing more is buffered) as soon as a message passes it.
    /// </summary>
    public long MaxMessageSize { get; set; } = maxMessageSize;

    /// <summary>Receives the next whole message, or null when the peer closed the socket.</summary>
    /// <exception cref="FrameTooLargeException">The message is larger than the maximum.</exception>
    public async ValueTask<ReceivedFrame?> ReceiveAsync(CancellationToken cancellationToken)
    {
        Release(); // the previous message's payload is no longer valid

        var first = await socket.ReceiveAsync(_first.AsMemory(), cancellationToken).ConfigureAwait(false);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return null;
        }

        var binary = first.MessageType == WebSocketMessageType.Binary;
        if (first.EndOfMessage)
        {
            return new ReceivedFrame(_first.AsMemory(0, first.Count), binary);
        }

        _buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        _first.AsSpan(0, first.Count).CopyTo(_buffer);
        var length = first.Count;
        while (true)
        {
            if (length == _buffer.Length)
            {
                Grow(length);
            }

            var result = await socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (length > MaxMessageSize)
            {
                throw new FrameTooLargeException(MaxMessageSize);
            }

            if (result.EndOfMessage)
            {
                return new ReceivedFrame(_buffer.AsMemory(0, length), binary);
            }
        }
    }

    private void Grow(int length)
    {
        var size = (int)Math.Min(Math.Min((long)_buffer.Length * 2, Math.Max(MaxMessageSize + 1, _buffer.Length + 1L)), Array.MaxLength);
        var next = PoolFor(size).Rent(size);
        _buffer.AsSpan(0, length).CopyTo(next);
        Return(_buffer);
        _buffer = next;
    }

    private void Release()
    {
        Return(_buffer);
        _buffer = [];
    }

    private ArrayPool<byte> PoolFor(int size) =>
        size > LargeMessageBuffers.SmallLimit && largeBuffers is not null ? largeBuffers : ArrayPool<byte>.Shared;

    private void Return(byte[] buffer)
    {
        // Every non-empty buffer here was rented, from the pool its size chose (the shared pool drops the ones above
        // its largest size).
        if (buffer.Length > 0)
        {
            PoolFor(buffer.Length).Return(buffer);
        }
    }
}
