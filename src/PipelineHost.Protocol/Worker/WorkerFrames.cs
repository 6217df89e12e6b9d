using System.Buffers;
using System.Runtime.InteropServices;
using MessagePack;
using PipelineHost.Protocol.Framing;

namespace PipelineHost.Protocol.Worker;

/// <summary>
/// The worker channel's encoding: each <see cref="WorkerMessage"/> is one length-prefixed frame
/// (<see cref="LengthPrefixedFraming"/>, flags <see cref="MessagePackFlags"/>) holding the message as a MessagePack
/// union. Both sides take it from here, so they cannot disagree.
/// </summary>
public static class WorkerFrames
{
    /// <summary>Largest frame either side accepts (a write carries at most one WebSocket message).</summary>
    public const int MaxFrameSize = 256 * 1024 * 1024;

    /// <summary>The only flags byte a frame may have: bit 0 set (a binary, MessagePack payload).</summary>
    public const byte MessagePackFlags = 1;

    /// <summary>How a reader decodes: anything from the other side is untrusted (hash-flooding safe maps, depth limit).</summary>
    public static MessagePackSerializerOptions ReadOptions { get; } =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Encodes one message as a frame's payload (tests and vectors).</summary>
    public static byte[] Encode(WorkerMessage message) =>
        MessagePackSerializer.Serialize(message, MessagePackSerializerOptions.Standard);

    /// <summary>Decodes one frame's payload.</summary>
    /// <exception cref="WorkerProtocolException">The payload is not exactly one known message.</exception>
    public static WorkerMessage Decode(ReadOnlyMemory<byte> payload)
    {
        WorkerMessage? message;
        int read;
        try
        {
            message = MessagePackSerializer.Deserialize<WorkerMessage>(payload, ReadOptions, out read);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new WorkerProtocolException($"an undecodable message ({Innermost(ex).Message})", ex);
        }

        if (message is null)
        {
            throw new WorkerProtocolException("a nil message or one of an unknown type");
        }

        return read == payload.Length
            ? message
            : throw new WorkerProtocolException($"a frame with {payload.Length - read} bytes after its message");
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner ? Innermost(inner) : ex;
}

/// <summary>The other side broke the channel's contract (an undecodable frame, a message it may not send).</summary>
public sealed class WorkerProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkerProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public WorkerProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public WorkerProtocolException()
    {
    }
}

/// <summary>Reads <see cref="WorkerMessage"/> frames from a stream; reads must be sequential.</summary>
public sealed class WorkerMessageReader(Stream stream)
{
    private readonly LengthPrefixedFrameReader _frames = new(stream, WorkerFrames.MaxFrameSize);

    /// <summary>The payload size of the frame read last.</summary>
    public int LastFrameLength { get; private set; }

    /// <summary>The next message, or null at a clean end of the stream.</summary>
    /// <exception cref="WorkerProtocolException">A frame that is not exactly one known message.</exception>
    /// <exception cref="EndOfStreamException">The stream ended inside a frame.</exception>
    public async ValueTask<WorkerMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        ReceivedFrame? received;
        try
        {
            received = await _frames.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            throw new WorkerProtocolException($"a frame header that cannot be read ({ex.Message})", ex);
        }

        if (received is not { } frame)
        {
            return null;
        }

        LastFrameLength = frame.Payload.Length;
        return frame.Binary
            ? WorkerFrames.Decode(frame.Payload)
            : throw new WorkerProtocolException("a frame without the MessagePack flag");
    }
}

/// <summary>Writes <see cref="WorkerMessage"/>s as frames, one at a time; safe for concurrent callers.</summary>
public sealed class WorkerMessageWriter(Stream stream) : IDisposable
{
    // Buffers above this come from the GC rather than the pool, and are let go after their frame.
    private const int RetainedCapacity = 1 << 20;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly PooledBufferWriter _buffer = new(RetainedCapacity);

    /// <summary>Encodes and writes <paramref name="message"/>, then flushes. Messages go out in the order their
    /// writes got the writer.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer, never a frame half written.</param>
    public async ValueTask WriteAsync(WorkerMessage message, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The header goes in front of the message in the same buffer, so a frame is one write (one system
            // call on a pipe) however small it is.
            _buffer.Reset();
            _buffer.GetSpan(LengthPrefixedFraming.HeaderSize);
            _buffer.Advance(LengthPrefixedFraming.HeaderSize);
            MessagePackSerializer.Serialize<WorkerMessage>(_buffer, message, MessagePackSerializerOptions.Standard, CancellationToken.None);
            var frame = MemoryMarshal.AsMemory(_buffer.WrittenMemory);
            LengthPrefixedFraming.WriteHeader(frame.Span, frame.Length - LengthPrefixedFraming.HeaderSize, binary: true);

            // Once a frame has started it must finish, or the stream is corrupt: no cancellation past this point.
            await stream.WriteAsync(frame, CancellationToken.None).ConfigureAwait(false);
            await stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            if (_buffer.WrittenCount > RetainedCapacity / 2)
            {
                _buffer.Release(); // not kept for the channel's life after one large frame
            }

            _lock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();
}
