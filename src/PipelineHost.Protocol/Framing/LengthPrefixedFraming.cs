using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace PipelineHost.Protocol.Framing;

/// <summary>
/// Frames on a byte stream (the host ↔ worker channel): a 4-byte big-endian length, one flags byte (bit 0: the
/// codec asked for a binary frame), then the frame. Any <see cref="IMessageCodec"/> rides on it.
/// </summary>
public static class LengthPrefixedFraming
{
    /// <summary>Bytes before each frame.</summary>
    public const int HeaderSize = 5;

    private const byte BinaryFlag = 1;

    /// <summary>Writes one frame header for a frame of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int length, bool binary)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, length);
        destination[4] = binary ? BinaryFlag : (byte)0;
    }

    /// <summary>
    /// Reads the next frame into <paramref name="buffer"/>. Returns null at a clean end of stream; a stream that
    /// ends inside a frame, or a length above <paramref name="maxFrameSize"/>, is an error.
    /// </summary>
    public static async ValueTask<ReceivedFrame?> ReadAsync(
        Stream stream, ArrayBufferWriter<byte> buffer, int maxFrameSize, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        var read = await stream.ReadAtLeastAsync(header, HeaderSize, throwOnEndOfStream: false, cancellationToken)
            .ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < HeaderSize)
        {
            throw new EndOfStreamException("The stream ended inside a frame header.");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < 0 || length > maxFrameSize)
        {
            throw new InvalidDataException($"Frame length {length} is outside 0..{maxFrameSize}.");
        }

        buffer.ResetWrittenCount();
        var memory = buffer.GetMemory(Math.Max(length, 1))[..length];
        await stream.ReadExactlyAsync(memory, cancellationToken).ConfigureAwait(false);
        buffer.Advance(length);
        return new ReceivedFrame(buffer.WrittenMemory, (header[4] & BinaryFlag) != 0);
    }
}

/// <summary>Writes codec-encoded messages as length-prefixed frames; safe for concurrent callers.</summary>
public sealed class LengthPrefixedMessageWriter(Stream stream, IMessageCodec codec) : IDisposable
{
    // A frame above this leaves the buffer's capacity behind, so one huge answer does not pin memory for the
    // channel's life.
    private const int RetainedCapacity = 1 << 20;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private ArrayBufferWriter<byte> _buffer = new(4096);
    private long _seq;

    /// <summary>Assigns the next <c>seq</c>, encodes and writes <paramref name="message"/>, then flushes.</summary>
    /// <param name="message">The message; its <c>seq</c> is replaced.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer, never a frame half written.</param>
    /// <param name="beforeSend">Called with the assigned <c>seq</c> before any byte is sent, so a caller can
    /// register for the answer before the answer can possibly arrive.</param>
    public async ValueTask<long> WriteAsync(ProtocolMessage message, CancellationToken cancellationToken, Action<long>? beforeSend = null)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var seq = ++_seq;
            if (_buffer.Capacity > RetainedCapacity)
            {
                _buffer = new ArrayBufferWriter<byte>(4096);
            }

            // The header goes in front of the message in the same buffer, so a frame is one write (one system
            // call on a pipe) however small it is.
            _buffer.ResetWrittenCount();
            _buffer.GetSpan(LengthPrefixedFraming.HeaderSize);
            _buffer.Advance(LengthPrefixedFraming.HeaderSize);
            var binary = codec.Encode(message with { Seq = seq }, _buffer);
            var frame = MemoryMarshal.AsMemory(_buffer.WrittenMemory);
            LengthPrefixedFraming.WriteHeader(frame.Span, frame.Length - LengthPrefixedFraming.HeaderSize, binary);
            beforeSend?.Invoke(seq);

            // Once a frame has started it must finish, or the stream is corrupt: no cancellation past this point.
            await stream.WriteAsync(frame, CancellationToken.None).ConfigureAwait(false);
            await stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return seq;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();
}
