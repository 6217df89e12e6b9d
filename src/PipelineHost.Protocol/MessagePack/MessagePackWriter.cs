using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PipelineHost.Protocol.MessagePack;

/// <summary>
/// Writes MessagePack values to an <see cref="IBufferWriter{T}"/>, always in the smallest encoding the
/// specification allows. The choices are those of msgpack-javascript and MessagePack-CSharp, so output is
/// byte-identical to theirs. Writes allocate nothing beyond what the buffer writer itself allocates.
/// </summary>
/// <remarks>
/// The writer only frames values: a container header promises a count, and the caller must write exactly
/// that many values (two per map entry) after it.
/// </remarks>
public readonly ref struct MessagePackWriter
{
    // Strict: a lone surrogate must not silently become U+FFFD on the wire, since the reader rejects
    // invalid UTF-8 and the peer would then see a different string than the one we were given.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly IBufferWriter<byte> _output;

    /// <summary>Creates a writer that appends to <paramref name="output"/>.</summary>
    public MessagePackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Writes nil.</summary>
    public void WriteNil() => WriteCode(MessagePackCode.Nil);

    /// <summary>Writes true or false.</summary>
    public void Write(bool value) => WriteCode(value ? MessagePackCode.True : MessagePackCode.False);

    /// <summary>Writes an integer in the smallest format: fixint, then uint8..64 for non-negative values, int8..64 for negative ones.</summary>
    public void Write(long value)
    {
        if (value >= 0)
        {
            Write((ulong)value);
        }
        else if (value >= -32)
        {
            WriteCode(unchecked((byte)value)); // negative fixint is the two's complement byte itself
        }
        else if (value >= sbyte.MinValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.Int8;
            span[1] = unchecked((byte)value);
            _output.Advance(2);
        }
        else if (value >= short.MinValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            _output.Advance(3);
        }
        else if (value >= int.MinValue)
        {
            var span = _output.GetSpan(5);
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            _output.Advance(5);
        }
        else
        {
            var span = _output.GetSpan(9);
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    /// <summary>Writes a non-negative integer in the smallest format: positive fixint, uint8, uint16, uint32 or uint64.</summary>
    public void Write(ulong value)
    {
        if (value <= MessagePackCode.MaxFixInt)
        {
            WriteCode((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            _output.Advance(2);
        }
        else if (value <= ushort.MaxValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            _output.Advance(3);
        }
        else if (value <= uint.MaxValue)
        {
            var span = _output.GetSpan(5);
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            _output.Advance(5);
        }
        else
        {
            var span = _output.GetSpan(9);
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            _output.Advance(9);
        }
    }

    /// <summary>Writes a float32, bit for bit (NaN payloads included).</summary>
    public void Write(float value)
    {
        var span = _output.GetSpan(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        _output.Advance(5);
    }

    /// <summary>Writes a float64, bit for bit (NaN payloads included); never narrowed to float32 or an integer.</summary>
    public void Write(double value)
    {
        var span = _output.GetSpan(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    /// <summary>Writes a str as UTF-8 with the smallest header (fixstr, str8, str16 or str32).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null; write nil explicitly instead.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds a lone surrogate, which has no UTF-8 form.</exception>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteString(value.AsSpan());
    }

    /// <summary>Writes a str as UTF-8 with the smallest header (fixstr, str8, str16 or str32).</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds a lone surrogate, which has no UTF-8 form.</exception>
    public void WriteString(ReadOnlySpan<char> value)
    {
        var byteCount = StrictUtf8.GetByteCount(value);
        var headerSize = StringHeaderSize(byteCount);
        var span = _output.GetSpan(headerSize + byteCount);
        WriteStringHeader(span, byteCount);
        StrictUtf8.GetBytes(value, span[headerSize..]);
        _output.Advance(headerSize + byteCount);
    }

    /// <summary>Writes one str of <paramref name="length"/> bytes from UTF-8 <paramref name="segments"/>; the caller vouches for their validity.</summary>
    public void WriteStringUtf8(IReadOnlyList<ReadOnlyMemory<byte>> segments, int length)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var headerSize = StringHeaderSize(length);
        var span = _output.GetSpan(headerSize + length);
        WriteStringHeader(span, length);
        var offset = headerSize;
        foreach (var segment in segments)
        {
            segment.Span.CopyTo(span[offset..]);
            offset += segment.Length;
        }

        if (offset != headerSize + length)
        {
            throw new ArgumentException("The segments do not add up to the length given.", nameof(length));
        }

        _output.Advance(offset);
    }

    /// <summary>Writes a str whose bytes are already UTF-8; the caller vouches for their validity.</summary>
    public void WriteStringUtf8(ReadOnlySpan<byte> utf8)
    {
        var headerSize = StringHeaderSize(utf8.Length);
        var span = _output.GetSpan(headerSize + utf8.Length);
        WriteStringHeader(span, utf8.Length);
        utf8.CopyTo(span[headerSize..]);
        _output.Advance(headerSize + utf8.Length);
    }

    /// <summary>Writes a bin with the smallest header (bin8, bin16 or bin32).</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteBinaryHeader(value.Length);
        WriteRaw(value);
    }

    /// <summary>Writes a bin header announcing <paramref name="length"/> bytes; the caller writes them with <see cref="WriteRaw"/>.</summary>
    public void WriteBinaryHeader(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length <= byte.MaxValue)
        {
            var span = _output.GetSpan(2);
            span[0] = MessagePackCode.Bin8;
            span[1] = (byte)length;
            _output.Advance(2);
        }
        else if (length <= ushort.MaxValue)
        {
            WriteCodeAndUInt16(MessagePackCode.Bin16, (ushort)length);
        }
        else
        {
            WriteCodeAndUInt32(MessagePackCode.Bin32, (uint)length);
        }
    }

    /// <summary>Writes an array header (fixarray, array16 or array32); <paramref name="count"/> values must follow.</summary>
    public void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteCode((byte)(MessagePackCode.MinFixArray | count));
        }
        else if (count <= ushort.MaxValue)
        {
            WriteCodeAndUInt16(MessagePackCode.Array16, (ushort)count);
        }
        else
        {
            WriteCodeAndUInt32(MessagePackCode.Array32, (uint)count);
        }
    }

    /// <summary>Writes a map header (fixmap, map16 or map32); <paramref name="count"/> key/value pairs must follow.</summary>
    public void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteCode((byte)(MessagePackCode.MinFixMap | count));
        }
        else if (count <= ushort.MaxValue)
        {
            WriteCodeAndUInt16(MessagePackCode.Map16, (ushort)count);
        }
        else
        {
            WriteCodeAndUInt32(MessagePackCode.Map32, (uint)count);
        }
    }

    /// <summary>Writes an extension value: fixext1/2/4/8/16 when the length matches exactly, else ext8/16/32.</summary>
    public void WriteExtension(sbyte type, ReadOnlySpan<byte> data)
    {
        WriteExtensionHeader(type, data.Length);
        WriteRaw(data);
    }

    /// <summary>Writes an extension header for <paramref name="length"/> data bytes; the caller writes them with <see cref="WriteRaw"/>.</summary>
    public void WriteExtensionHeader(sbyte type, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var fixCode = length switch
        {
            1 => MessagePackCode.FixExt1,
            2 => MessagePackCode.FixExt2,
            4 => MessagePackCode.FixExt4,
            8 => MessagePackCode.FixExt8,
            16 => MessagePackCode.FixExt16,
            _ => (byte)0,
        };

        if (fixCode != 0)
        {
            var span = _output.GetSpan(2);
            span[0] = fixCode;
            span[1] = unchecked((byte)type);
            _output.Advance(2);
        }
        else if (length <= byte.MaxValue)
        {
            var span = _output.GetSpan(3);
            span[0] = MessagePackCode.Ext8;
            span[1] = (byte)length;
            span[2] = unchecked((byte)type);
            _output.Advance(3);
        }
        else if (length <= ushort.MaxValue)
        {
            var span = _output.GetSpan(4);
            span[0] = MessagePackCode.Ext16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            span[3] = unchecked((byte)type);
            _output.Advance(4);
        }
        else
        {
            var span = _output.GetSpan(6);
            span[0] = MessagePackCode.Ext32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
            span[5] = unchecked((byte)type);
            _output.Advance(6);
        }
    }

    /// <summary>Writes a timestamp (extension type -1) exact to its 100 ns ticks, in the smallest of the three timestamp formats.</summary>
    public void WriteTimestamp(DateTimeOffset value) => WriteTimestamp(MessagePackTimestamp.FromDateTimeOffset(value));

    /// <summary>Writes a timestamp (extension type -1) in the smallest of the three timestamp formats.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nanoseconds"/> is above 999,999,999.</exception>
    public void WriteTimestamp(long seconds, uint nanoseconds) => WriteTimestamp(new MessagePackTimestamp(seconds, nanoseconds));

    /// <summary>
    /// Writes a timestamp (extension type -1): timestamp 32 (fixext4) when there are no nanoseconds and the
    /// seconds fit 32 unsigned bits, timestamp 64 (fixext8) when the seconds fit 34 unsigned bits, else
    /// timestamp 96 (ext8 of 12 bytes), which also covers instants before 1970.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The nanoseconds are above 999,999,999.</exception>
    public void WriteTimestamp(MessagePackTimestamp value)
    {
        var (seconds, nanoseconds) = value;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nanoseconds, MessagePackTimestamp.MaxNanoseconds, nameof(value));
        if ((ulong)seconds >> 34 == 0)
        {
            if (nanoseconds == 0 && seconds <= uint.MaxValue)
            {
                var span = _output.GetSpan(6);
                span[0] = MessagePackCode.FixExt4;
                span[1] = unchecked((byte)MessagePackTimestamp.ExtensionType);
                BinaryPrimitives.WriteUInt32BigEndian(span[2..], (uint)seconds);
                _output.Advance(6);
            }
            else
            {
                var span = _output.GetSpan(10);
                span[0] = MessagePackCode.FixExt8;
                span[1] = unchecked((byte)MessagePackTimestamp.ExtensionType);
                BinaryPrimitives.WriteUInt64BigEndian(span[2..], ((ulong)nanoseconds << 34) | (ulong)seconds);
                _output.Advance(10);
            }
        }
        else
        {
            var span = _output.GetSpan(15);
            span[0] = MessagePackCode.Ext8;
            span[1] = 12;
            span[2] = unchecked((byte)MessagePackTimestamp.ExtensionType);
            BinaryPrimitives.WriteUInt32BigEndian(span[3..], nanoseconds);
            BinaryPrimitives.WriteInt64BigEndian(span[7..], seconds);
            _output.Advance(15);
        }
    }

    /// <summary>Copies already-encoded bytes to the output unchanged (the data of a bin or ext header, or a pre-encoded value).</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (!bytes.IsEmpty)
        {
            _output.Write(bytes);
        }
    }

    private static int StringHeaderSize(int byteCount) => byteCount switch
    {
        <= 31 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    private static void WriteStringHeader(Span<byte> span, int byteCount)
    {
        if (byteCount <= 31)
        {
            span[0] = (byte)(MessagePackCode.MinFixStr | byteCount);
        }
        else if (byteCount <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Str8;
            span[1] = (byte)byteCount;
        }
        else if (byteCount <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.Str16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)byteCount);
        }
        else
        {
            span[0] = MessagePackCode.Str32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)byteCount);
        }
    }

    private void WriteCode(byte code)
    {
        _output.GetSpan(1)[0] = code;
        _output.Advance(1);
    }

    private void WriteCodeAndUInt16(byte code, ushort value)
    {
        var span = _output.GetSpan(3);
        span[0] = code;
        BinaryPrimitives.WriteUInt16BigEndian(span[1..], value);
        _output.Advance(3);
    }

    private void WriteCodeAndUInt32(byte code, uint value)
    {
        var span = _output.GetSpan(5);
        span[0] = code;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], value);
        _output.Advance(5);
    }
}
