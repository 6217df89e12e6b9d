using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace PipelineHost.Protocol.MessagePack;

/// <summary>
/// Reads MessagePack values from a <see cref="ReadOnlySequence{T}"/>, which may span many segments. Every
/// format of the specification is accepted, not only the smallest encodings.
/// </summary>
/// <remarks>
/// <para>Input is untrusted: a length or count is checked against the bytes that actually remain before
/// anything is allocated or looped over, so a header that claims 4 GiB fails at once. Every malformed input,
/// including truncation and the reserved byte 0xC1, raises <see cref="MessagePackFormatException"/> naming the
/// byte offset of the offending value.</para>
/// <para>After an exception the reader's position is unspecified; start again from the input.</para>
/// </remarks>
public ref struct MessagePackReader
{
    private readonly ReadOnlySequence<byte> _sequence;
    private readonly long _length;

    // The current segment. Invariant: while input remains, _index < _span.Length, so peeking never has to
    // move to the next segment and can stay readonly.
    private ReadOnlySpan<byte> _span;
    private int _index;
    private long _spanStart;
    private SequencePosition _spanPosition;
    private SequencePosition _nextPosition;

    /// <summary>Creates a reader over <paramref name="sequence"/>, starting at its first byte.</summary>
    public MessagePackReader(ReadOnlySequence<byte> sequence)
    {
        _sequence = sequence;
        _length = sequence.Length;
        _span = default;
        _index = 0;
        _spanStart = 0;
        _spanPosition = sequence.Start;
        _nextPosition = sequence.Start;
        MoveToNextSegment();
    }

    /// <summary>Creates a reader over one contiguous block of memory.</summary>
    public MessagePackReader(ReadOnlyMemory<byte> memory)
        : this(new ReadOnlySequence<byte>(memory))
    {
    }

    /// <summary>The number of bytes read so far, i.e. the offset of the next value.</summary>
    public readonly long Consumed => _spanStart + _index;

    /// <summary>The number of bytes not read yet.</summary>
    public readonly long Remaining => _length - Consumed;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool End => Remaining == 0;

    /// <summary>The format byte of the next value, without consuming it.</summary>
    /// <exception cref="MessagePackFormatException">The input has ended.</exception>
    public readonly byte NextCode => Remaining > 0 ? _span[_index] : throw EndOfInput();

    /// <summary>The type of the next value, without consuming it.</summary>
    /// <exception cref="MessagePackFormatException">The input has ended, or the next byte is the reserved 0xC1.</exception>
    public readonly MessagePackType NextType
    {
        get
        {
            var code = NextCode;
            var type = MessagePackCode.ToType(code);
            return type == MessagePackType.Unknown ? throw Reserved(Consumed) : type;
        }
    }

    /// <summary>Consumes a nil and returns true, or returns false and consumes nothing when the next value is not nil.</summary>
    /// <exception cref="MessagePackFormatException">The input has ended.</exception>
    public bool TryReadNil()
    {
        if (NextCode != MessagePackCode.Nil)
        {
            return false;
        }

        Advance(1);
        return true;
    }

    /// <summary>Reads a nil.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not nil, or the input has ended.</exception>
    public void ReadNil()
    {
        if (!TryReadNil())
        {
            throw Mismatch(Consumed, NextCode, "nil");
        }
    }

    /// <summary>Reads true or false.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a bool, or the input has ended.</exception>
    public bool ReadBoolean()
    {
        var code = NextCode;
        switch (code)
        {
            case MessagePackCode.True:
                Advance(1);
                return true;
            case MessagePackCode.False:
                Advance(1);
                return false;
            default:
                throw Mismatch(Consumed, code, "a bool");
        }
    }

    /// <summary>Reads an integer in any format whose value fits <see cref="long"/>.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, is a uint64 above <see cref="long.MaxValue"/>, or is truncated.</exception>
    public long ReadInt64()
    {
        var start = Consumed;
        var code = NextCode;
        switch (code)
        {
            case <= MessagePackCode.MaxFixInt:
                Advance(1);
                return code;
            case >= MessagePackCode.MinNegativeFixInt:
                Advance(1);
                return unchecked((sbyte)code);
            case MessagePackCode.UInt8:
            case MessagePackCode.UInt16:
            case MessagePackCode.UInt32:
                return (long)ReadCodeAndBigEndian(start, code, PayloadSize(code));
            case MessagePackCode.UInt64:
                var value = ReadCodeAndBigEndian(start, code, 8);
                return value <= long.MaxValue
                    ? (long)value
                    : throw new MessagePackFormatException(start, Invariant($"uint64 value {value} does not fit in a signed 64-bit integer."));
            case MessagePackCode.Int8:
                return unchecked((sbyte)ReadCodeAndBigEndian(start, code, 1));
            case MessagePackCode.Int16:
                return unchecked((short)ReadCodeAndBigEndian(start, code, 2));
            case MessagePackCode.Int32:
                return unchecked((int)ReadCodeAndBigEndian(start, code, 4));
            case MessagePackCode.Int64:
                return unchecked((long)ReadCodeAndBigEndian(start, code, 8));
            default:
                throw Mismatch(start, code, "an integer");
        }
    }

    /// <summary>Reads an integer in any format whose value is non-negative.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not an integer, is negative, or is truncated.</exception>
    public ulong ReadUInt64()
    {
        var start = Consumed;
        var code = NextCode;
        if (code is MessagePackCode.UInt64)
        {
            return ReadCodeAndBigEndian(start, code, 8);
        }

        var value = ReadInt64();
        return value >= 0
            ? (ulong)value
            : throw new MessagePackFormatException(start, Invariant($"negative value {value} does not fit in an unsigned 64-bit integer."));
    }

    /// <summary>Reads a float32 or float64, or an integer converted to the nearest double.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a number, or is truncated.</exception>
    public double ReadDouble()
    {
        var start = Consumed;
        var code = NextCode;
        return code switch
        {
            MessagePackCode.Float32 => BitConverter.Int32BitsToSingle(unchecked((int)ReadCodeAndBigEndian(start, code, 4))),
            MessagePackCode.Float64 => BitConverter.UInt64BitsToDouble(ReadCodeAndBigEndian(start, code, 8)),
            MessagePackCode.UInt64 => ReadUInt64(),
            _ when MessagePackCode.ToType(code) == MessagePackType.Integer => ReadInt64(),
            _ => throw Mismatch(start, code, "a number"),
        };
    }

    /// <summary>Reads a float32 exactly (NaN payloads included); other formats are rejected so nothing is rounded.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a float32, or is truncated.</exception>
    public float ReadSingle()
    {
        var start = Consumed;
        var code = NextCode;
        return code == MessagePackCode.Float32
            ? BitConverter.Int32BitsToSingle(unchecked((int)ReadCodeAndBigEndian(start, code, 4)))
            : throw Mismatch(start, code, "a float32");
    }

    /// <summary>Reads a str, which must be valid UTF-8.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a str, is truncated, or is not valid UTF-8.</exception>
    public string ReadString()
    {
        var start = Consumed;
        var code = NextCode;
        var length = ReadStringLength(start, code);
        return DecodeUtf8(start, code, length);
    }

    /// <summary>Reads a str, which must be valid UTF-8, and returns its bytes as a slice of the input (no copy).</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a str, is truncated, or is not valid UTF-8.</exception>
    public ReadOnlySequence<byte> ReadStringBytes()
    {
        var start = Consumed;
        var code = NextCode;
        var length = ReadStringLength(start, code);
        var bytes = ReadSlice(length);
        var valid = bytes.IsSingleSegment ? Utf8.IsValid(bytes.FirstSpan) : Utf8.IsValid(bytes.ToArray());
        return valid ? bytes : throw new MessagePackFormatException(start, $"{MessagePackCode.ToFormatName(code)} is not valid UTF-8.");
    }

    /// <summary>Reads a bin and returns its bytes as a slice of the input (no copy).</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a bin, or its length exceeds the input.</exception>
    public ReadOnlySequence<byte> ReadBinary()
    {
        var start = Consumed;
        var code = NextCode;
        var length = ReadBinaryLength(start, code);
        return ReadSlice(length);
    }

    /// <summary>Reads a bin and copies its bytes into a new array.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a bin, or its length exceeds the input.</exception>
    public byte[] ReadBinaryToArray() => ReadBinary().ToArray();

    /// <summary>Reads an array header and returns the number of values that follow.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not an array, or its count exceeds the remaining bytes (every value takes at least one).</exception>
    public int ReadArrayHeader()
    {
        var start = Consumed;
        var code = NextCode;
        long count;
        if (code is >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray)
        {
            Advance(1);
            count = code & 0x0f;
        }
        else if (code is MessagePackCode.Array16 or MessagePackCode.Array32)
        {
            count = (long)ReadCodeAndBigEndian(start, code, PayloadSize(code));
        }
        else
        {
            throw Mismatch(start, code, "an array");
        }

        if (count > Remaining)
        {
            throw new MessagePackFormatException(start, Invariant($"{MessagePackCode.ToFormatName(code)} count {count} exceeds the {Remaining} remaining bytes."));
        }

        return CheckedCount(start, code, count);
    }

    /// <summary>Reads a map header and returns the number of key/value pairs that follow.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a map, or twice its count exceeds the remaining bytes.</exception>
    public int ReadMapHeader()
    {
        var start = Consumed;
        var code = NextCode;
        long count;
        if (code is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap)
        {
            Advance(1);
            count = code & 0x0f;
        }
        else if (code is MessagePackCode.Map16 or MessagePackCode.Map32)
        {
            count = (long)ReadCodeAndBigEndian(start, code, PayloadSize(code));
        }
        else
        {
            throw Mismatch(start, code, "a map");
        }

        if (count * 2 > Remaining)
        {
            throw new MessagePackFormatException(start, Invariant($"{MessagePackCode.ToFormatName(code)} count {count} needs at least {count * 2} bytes, {Remaining} left."));
        }

        return CheckedCount(start, code, count);
    }

    /// <summary>Reads an extension header; read its data next with <see cref="ReadRaw"/>.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not an extension, or its length exceeds the input.</exception>
    public ExtensionHeader ReadExtensionHeader()
    {
        var start = Consumed;
        var code = NextCode;
        long length;
        switch (code)
        {
            case MessagePackCode.FixExt1:
                length = 1;
                break;
            case MessagePackCode.FixExt2:
                length = 2;
                break;
            case MessagePackCode.FixExt4:
                length = 4;
                break;
            case MessagePackCode.FixExt8:
                length = 8;
                break;
            case MessagePackCode.FixExt16:
                length = 16;
                break;
            case MessagePackCode.Ext8 or MessagePackCode.Ext16 or MessagePackCode.Ext32:
                // The type byte follows the length: make sure both are there before reading either.
                EnsureHeader(start, code, PayloadSize(code) + 1);
                length = (long)ReadCodeAndBigEndian(start, code, PayloadSize(code));
                var type = unchecked((sbyte)ReadByte());
                EnsureLength(start, code, length);
                return new ExtensionHeader(type, (uint)length);
            default:
                throw Mismatch(start, code, "an extension");
        }

        EnsureHeader(start, code, 1);
        Advance(1);
        var fixType = unchecked((sbyte)ReadByte());
        EnsureLength(start, code, length);
        return new ExtensionHeader(fixType, (uint)length);
    }

    /// <summary>Reads a timestamp (extension type -1) in any of its three sizes.</summary>
    /// <exception cref="MessagePackFormatException">The next value is not a timestamp, has a length other than 4, 8 or 12, or has nanoseconds above 999,999,999.</exception>
    public MessagePackTimestamp ReadTimestamp()
    {
        var start = Consumed;
        var code = NextCode;
        if (MessagePackCode.ToType(code) != MessagePackType.Extension)
        {
            throw Mismatch(start, code, "a timestamp");
        }

        var header = ReadExtensionHeader();
        if (header.Type != MessagePackTimestamp.ExtensionType)
        {
            throw new MessagePackFormatException(start, Invariant($"expected a timestamp (extension type -1) but found extension type {header.Type}."));
        }

        return ReadTimestampData(start, header);
    }

    /// <summary>Reads <paramref name="length"/> raw bytes (an extension's data) as a slice of the input.</summary>
    /// <exception cref="MessagePackFormatException">Fewer than <paramref name="length"/> bytes remain.</exception>
    public ReadOnlySequence<byte> ReadRaw(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > Remaining)
        {
            throw new MessagePackFormatException(Consumed, Invariant($"{length} raw bytes exceed the {Remaining} remaining bytes."));
        }

        return ReadSlice(length);
    }

    /// <summary>
    /// Skips one whole value, containers included. It counts the values still owed instead of recursing, so
    /// any nesting depth is safe. Structure and lengths are checked; str contents are not decoded.
    /// </summary>
    /// <exception cref="MessagePackFormatException">The value is malformed or truncated.</exception>
    public void Skip()
    {
        long pending = 1;
        while (pending > 0)
        {
            pending--;
            var start = Consumed;
            var code = NextCode;
            switch (MessagePackCode.ToType(code))
            {
                case MessagePackType.Nil:
                case MessagePackType.Boolean:
                    Advance(1);
                    break;
                case MessagePackType.Integer:
                case MessagePackType.Float:
                    _ = ReadCodeAndBigEndian(start, code, PayloadSize(code));
                    break;
                case MessagePackType.String:
                    Advance(ReadStringLength(start, code));
                    break;
                case MessagePackType.Binary:
                    Advance(ReadBinaryLength(start, code));
                    break;
                case MessagePackType.Extension:
                    Advance(ReadExtensionHeader().Length);
                    break;
                case MessagePackType.Array:
                    pending += ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    pending += 2L * ReadMapHeader();
                    break;
                default:
                    throw Reserved(start);
            }
        }
    }

    /// <summary>Reads the data of a timestamp whose header (at <paramref name="start"/>) was just read.</summary>
    internal MessagePackTimestamp ReadTimestampData(long start, ExtensionHeader header)
    {
        long seconds;
        uint nanoseconds;
        switch (header.Length)
        {
            case 4:
                seconds = (long)ReadBigEndian(4);
                nanoseconds = 0;
                break;
            case 8:
                var packed = ReadBigEndian(8);
                nanoseconds = (uint)(packed >> 34);
                seconds = (long)(packed & 0x3_FFFF_FFFF);
                break;
            case 12:
                nanoseconds = (uint)ReadBigEndian(4);
                seconds = unchecked((long)ReadBigEndian(8));
                break;
            default:
                throw new MessagePackFormatException(start, Invariant($"a timestamp must have 4, 8 or 12 data bytes, not {header.Length}."));
        }

        return nanoseconds <= MessagePackTimestamp.MaxNanoseconds
            ? new MessagePackTimestamp(seconds, nanoseconds)
            : throw new MessagePackFormatException(start, Invariant($"timestamp nanoseconds {nanoseconds} exceed 999999999."));
    }

    private static int PayloadSize(byte code) => code switch
    {
        MessagePackCode.UInt8 or MessagePackCode.Int8 or MessagePackCode.Str8 or MessagePackCode.Bin8 or MessagePackCode.Ext8 => 1,
        MessagePackCode.UInt16 or MessagePackCode.Int16 or MessagePackCode.Str16 or MessagePackCode.Bin16
            or MessagePackCode.Ext16 or MessagePackCode.Array16 or MessagePackCode.Map16 => 2,
        MessagePackCode.UInt32 or MessagePackCode.Int32 or MessagePackCode.Float32 or MessagePackCode.Str32
            or MessagePackCode.Bin32 or MessagePackCode.Ext32 or MessagePackCode.Array32 or MessagePackCode.Map32 => 4,
        MessagePackCode.UInt64 or MessagePackCode.Int64 or MessagePackCode.Float64 => 8,
        _ => 0, // fixint and the other single-byte formats
    };

    // Only a sequence beyond 2 GiB can hold a larger count; the caller's int loop must not wrap.
    private static int CheckedCount(long start, byte code, long count) => count <= int.MaxValue
        ? (int)count
        : throw new MessagePackFormatException(start, Invariant($"{MessagePackCode.ToFormatName(code)} count {count} exceeds the largest supported count {int.MaxValue}."));

    private long ReadStringLength(long start, byte code)
    {
        long length;
        if (code is >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr)
        {
            Advance(1);
            length = code & 0x1f;
        }
        else if (code is MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32)
        {
            length = (long)ReadCodeAndBigEndian(start, code, PayloadSize(code));
        }
        else
        {
            throw Mismatch(start, code, "a string");
        }

        EnsureLength(start, code, length);
        return length;
    }

    private long ReadBinaryLength(long start, byte code)
    {
        if (code is not (MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32))
        {
            throw Mismatch(start, code, "binary data");
        }

        var length = (long)ReadCodeAndBigEndian(start, code, PayloadSize(code));
        EnsureLength(start, code, length);
        return length;
    }

    private string DecodeUtf8(long start, byte code, long length)
    {
        if (length > Array.MaxLength)
        {
            throw new MessagePackFormatException(start, Invariant($"{MessagePackCode.ToFormatName(code)} length {length} is too long for a .NET string."));
        }

        var count = (int)length;
        if (_span.Length - _index >= count)
        {
            var bytes = _span.Slice(_index, count);
            var text = Decode(bytes, start, code);
            Advance(count);
            return text;
        }

        // The string straddles segments: assemble it in a pooled buffer (its size is already bounded by the input).
        var rented = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            CopyTo(rented.AsSpan(0, count));
            return Decode(rented.AsSpan(0, count), start, code);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        static string Decode(ReadOnlySpan<byte> bytes, long start, byte code) => Utf8.IsValid(bytes)
            ? Encoding.UTF8.GetString(bytes)
            : throw new MessagePackFormatException(start, $"{MessagePackCode.ToFormatName(code)} is not valid UTF-8.");
    }

    private ReadOnlySequence<byte> ReadSlice(long length)
    {
        if (length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var slice = _sequence.Slice(_sequence.GetPosition(_index, _spanPosition), length);
        Advance(length);
        return slice;
    }

    /// <summary>Consumes the format byte and the <paramref name="size"/>-byte big-endian number after it.</summary>
    private ulong ReadCodeAndBigEndian(long start, byte code, int size)
    {
        EnsureHeader(start, code, size);
        Advance(1);
        return ReadBigEndian(size);
    }

    /// <summary>Throws unless the format byte and <paramref name="size"/> more header bytes are there.</summary>
    private readonly void EnsureHeader(long start, byte code, int size)
    {
        var after = Remaining - 1;
        if (after < size)
        {
            throw new MessagePackFormatException(start, Invariant($"{MessagePackCode.ToFormatName(code)} is truncated: it needs {size} more bytes after the format byte, {after} left."));
        }
    }

    /// <summary>The length check that keeps a lying header from causing a huge allocation or a long loop.</summary>
    private readonly void EnsureLength(long start, byte code, long length)
    {
        if (length > Remaining)
        {
            throw new MessagePackFormatException(start, Invariant($"{MessagePackCode.ToFormatName(code)} length {length} exceeds the {Remaining} remaining bytes."));
        }
    }

    private ulong ReadBigEndian(int size)
    {
        if (_span.Length - _index >= size)
        {
            var bytes = _span.Slice(_index, size);
            var value = size switch
            {
                0 => 0UL,
                1 => bytes[0],
                2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
                4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
                _ => BinaryPrimitives.ReadUInt64BigEndian(bytes),
            };
            Advance(size);
            return value;
        }

        ulong result = 0;
        for (var i = 0; i < size; i++)
        {
            result = (result << 8) | ReadByte();
        }

        return result;
    }

    private byte ReadByte()
    {
        var value = _span[_index];
        Advance(1);
        return value;
    }

    private void CopyTo(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var chunk = Math.Min(destination.Length, _span.Length - _index);
            _span.Slice(_index, chunk).CopyTo(destination);
            destination = destination[chunk..];
            Advance(chunk);
        }
    }

    /// <summary>Moves forward; callers have checked that <paramref name="count"/> bytes remain.</summary>
    private void Advance(long count)
    {
        while (count > 0)
        {
            var available = _span.Length - _index;
            if (count < available)
            {
                _index += (int)count;
                return;
            }

            if (available == 0)
            {
                // Every caller checks Remaining first; reaching this is a bug here, not bad input.
                throw new InvalidOperationException("MessagePackReader advanced past the end of its input.");
            }

            count -= available;
            _index = _span.Length;
            MoveToNextSegment();
        }
    }

    private void MoveToNextSegment()
    {
        _spanStart += _span.Length;
        _span = default;
        _index = 0;
        while (true)
        {
            var position = _nextPosition;
            if (!_sequence.TryGet(ref _nextPosition, out var memory))
            {
                return;
            }

            if (!memory.IsEmpty)
            {
                _spanPosition = position;
                _span = memory.Span;
                return;
            }
        }
    }

    private readonly MessagePackFormatException EndOfInput() =>
        new(Consumed, "unexpected end of input; expected another value.");

    private static MessagePackFormatException Reserved(long start) =>
        new(start, "0xC1 is a reserved format byte and starts no value.");

    private static MessagePackFormatException Mismatch(long start, byte code, string expected) => code == MessagePackCode.NeverUsed
        ? Reserved(start)
        : new(start, Invariant($"expected {expected} but found {MessagePackCode.ToFormatName(code)} (0x{code:X2})."));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
