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
public sealed class WebSocketFrameReceiver(WebSocket socket, long maxMessageSize)
{
    // Messages above this leave the buffer's capacity behind, so a single huge upload does not pin memory for
    // the rest of the connection's life.
    private const int RetainedCapacity = 1 << 20;
    private const int ChunkSize = 16 * 1024;

    private ArrayBufferWriter<byte> _buffer = new(ChunkSize);

    /// <summary>Receives the next whole message, or null when the peer closed the socket.</summary>
    /// <exception cref="FrameTooLargeException">The message is larger than the maximum.</exception>
    public async ValueTask<ReceivedFrame?> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Capacity > RetainedCapacity)
        {
            _buffer = new ArrayBufferWriter<byte>(ChunkSize);
        }
        else
        {
            _buffer.ResetWrittenCount();
        }

        while (true)
        {
            var memory = _buffer.GetMemory(ChunkSize);
            var result = await socket.ReceiveAsync(memory, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _buffer.Advance(result.Count);
            if (_buffer.WrittenCount > maxMessageSize)
            {
                throw new FrameTooLargeException(maxMessageSize);
            }

            if (result.EndOfMessage)
            {
                return new ReceivedFrame(_buffer.WrittenMemory, result.MessageType == WebSocketMessageType.Binary);
            }
        }
    }
}
