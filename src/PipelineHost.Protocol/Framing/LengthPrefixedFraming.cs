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

    /// <summary>Bit 0 of the flags byte: the codec asked for a binary frame.</summary>
    internal const byte BinaryFlag = 1;

    /// <summary>Writes one frame header for a frame of <paramref name="length"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, int length, bool binary)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, length);
        destination[4] = binary ? BinaryFlag : (byte)0;
    }
}

/// <summary>
/// Reads length-prefixed frames from a stream through one buffer: a read takes whatever the stream has (many small
/// frames, or a large part of a big one), so a frame usually costs one read or fewer instead of a read for its
/// header and another for its body. One per stream; reads must be sequential.
/// </summary>
public sealed class LengthPrefixedFrameReader(Stream stream, int maxFrameSize)
{
    private const int InitialCapacity = 64 * 1024;

    // A frame above this leaves the buffer's capacity behind once it has been read.
    private const int RetainedCapacity = 1 << 20;

    private byte[] _buffer = new byte[InitialCapacity];
    private int _start;
    private int _end;

    /// <summary>
    /// Reads the next frame; its payload is valid until the next call. Returns null at a clean end of stream; a
    /// stream that ends inside a frame, or a length above the maximum, is an error.
    /// </summary>
    public async ValueTask<ReceivedFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
            if (_buffer.Length > RetainedCapacity)
            {
                _buffer = new byte[InitialCapacity];
            }
        }

        if (!await FillAsync(LengthPrefixedFraming.HeaderSize, cancellationToken).ConfigureAwait(false))
        {
            return _start == _end ? null : throw new EndOfStreamException("The stream ended inside a frame header.");
        }

        var header = _buffer.AsSpan(_start, LengthPrefixedFraming.HeaderSize);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < 0 || length > maxFrameSize)
        {
            throw new InvalidDataException($"Frame length {length} is outside 0..{maxFrameSize}.");
        }

        var binary = (header[4] & LengthPrefixedFraming.BinaryFlag) != 0;
        var size = LengthPrefixedFraming.HeaderSize + length;
        if (!await FillAsync(size, cancellationToken).ConfigureAwait(false))
        {
            throw new EndOfStreamException("The stream ended inside a frame.");
        }

        var frame = new ReceivedFrame(_buffer.AsMemory(_start + LengthPrefixedFraming.HeaderSize, length), binary);
        _start += size;
        return frame;
    }

    /// <summary>Reads until at least <paramref name="count"/> bytes are buffered; false when the stream ends first.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_buffer.Length - _start < count)
        {
            // Make room: move what is buffered to the front, into a larger buffer if the frame needs it.
            var target = _buffer.Length >= count ? _buffer : GC.AllocateUninitializedArray<byte>(Math.Max(count, _buffer.Length * 2));
            _buffer.AsSpan(_start, _end - _start).CopyTo(target);
            _end -= _start;
            _start = 0;
            _buffer = target;
        }

        while (_end - _start < count)
        {
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }
}

/// <summary>Writes codec-encoded messages as length-prefixed frames; safe for concurrent callers.</summary>
public sealed class LengthPrefixedMessageWriter(Stream stream, IMessageCodec codec) : IDisposable
{
    // Buffers above this come from the GC rather than the pool, and are let go after their frame.
    private const int RetainedCapacity = 1 << 20;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly PooledBufferWriter _buffer = new(RetainedCapacity);
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

            // The header goes in front of the message in the same buffer, so a frame is one write (one system
            // call on a pipe) however small it is.
            _buffer.Reset();
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
