using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace PipelineHost.Protocol.MessagePack;

/// <summary>
/// The MessagePack specification's names for format bytes, and the description of a value whose bytes run out,
/// for error messages a peer can act on.
/// </summary>
/// <remarks>
/// The package reports a short input as a bare <see cref="EndOfStreamException"/>; a peer debugging its encoder
/// needs to know which value and what it claimed, so the header is read once more here, for the message only.
/// </remarks>
internal static class MessagePackFormats
{
    /// <summary>The specification's name of the format <paramref name="code"/> starts, e.g. <c>fixstr</c>, <c>uint16</c>.</summary>
    public static string Name(byte code) => code switch
    {
        <= 0x7f => "positive fixint",
        <= 0x8f => "fixmap",
        <= 0x9f => "fixarray",
        <= 0xbf => "fixstr",
        0xc0 => "nil",
        0xc1 => "(never used)",
        0xc2 or 0xc3 => "bool",
        0xc4 => "bin8",
        0xc5 => "bin16",
        0xc6 => "bin32",
        0xc7 => "ext8",
        0xc8 => "ext16",
        0xc9 => "ext32",
        0xca => "float32",
        0xcb => "float64",
        0xcc => "uint8",
        0xcd => "uint16",
        0xce => "uint32",
        0xcf => "uint64",
        0xd0 => "int8",
        0xd1 => "int16",
        0xd2 => "int32",
        0xd3 => "int64",
        0xd4 => "fixext1",
        0xd5 => "fixext2",
        0xd6 => "fixext4",
        0xd7 => "fixext8",
        0xd8 => "fixext16",
        0xd9 => "str8",
        0xda => "str16",
        0xdb => "str32",
        0xdc => "array16",
        0xdd => "array32",
        0xde => "map16",
        0xdf => "map32",
        _ => "negative fixint",
    };

    /// <summary>Says why the value at the start of <paramref name="rest"/> cannot be read whole.</summary>
    public static string DescribeTruncation(ReadOnlySequence<byte> rest)
    {
        if (rest.IsEmpty)
        {
            return "unexpected end of input; expected another value.";
        }

        Span<byte> head = stackalloc byte[6];
        var available = (int)Math.Min(rest.Length, head.Length);
        rest.Slice(0, available).CopyTo(head);
        var code = head[0];
        var name = Name(code);
        var (lengthBytes, typeBytes, fixedLength, unit) = Layout(code);
        var headerBytes = lengthBytes + typeBytes;
        var left = rest.Length - 1;
        if (left < headerBytes)
        {
            return Invariant($"{name} is truncated: it needs {headerBytes} more bytes after the format byte, {left} left.");
        }

        // The claimed length: in the format byte (fix types), in a length field, or fixed by the format itself.
        var claimed = fixedLength ?? lengthBytes switch
        {
            1 => head[1],
            2 => BinaryPrimitives.ReadUInt16BigEndian(head[1..]),
            _ => (long)BinaryPrimitives.ReadUInt32BigEndian(head[1..]),
        };
        left -= headerBytes;
        return unit switch
        {
            Unit.Elements => Invariant($"{name} count {claimed} exceeds the {left} remaining bytes."),
            Unit.Entries => Invariant($"{name} count {claimed} needs at least {claimed * 2} bytes, {left} left."),
            Unit.None => Invariant($"{name} is truncated: it needs {claimed} more bytes after the format byte, {left} left."),
            _ => Invariant($"{name} length {claimed} exceeds the {left} remaining bytes."),
        };
    }

    private enum Unit
    {
        /// <summary>A fixed-size scalar: the claim is its payload size.</summary>
        None,
        Bytes,
        Elements,
        Entries,
    }

    // (bytes of the length field after the format byte, bytes of an extension's type field, the length when the
    // format fixes it, what the length counts)
    private static (int LengthBytes, int TypeBytes, long? Fixed, Unit Unit) Layout(byte code) => code switch
    {
        <= 0x7f or >= 0xe0 or 0xc0 or 0xc1 or 0xc2 or 0xc3 => (0, 0, 0, Unit.None),
        <= 0x8f => (0, 0, code & 0x0f, Unit.Entries),
        <= 0x9f => (0, 0, code & 0x0f, Unit.Elements),
        <= 0xbf => (0, 0, code & 0x1f, Unit.Bytes),
        0xc4 or 0xd9 => (1, 0, null, Unit.Bytes),
        0xc5 or 0xda => (2, 0, null, Unit.Bytes),
        0xc6 or 0xdb => (4, 0, null, Unit.Bytes),
        0xc7 => (1, 1, null, Unit.Bytes),
        0xc8 => (2, 1, null, Unit.Bytes),
        0xc9 => (4, 1, null, Unit.Bytes),
        0xca => (0, 0, 4, Unit.None),
        0xcb => (0, 0, 8, Unit.None),
        0xcc or 0xd0 => (0, 0, 1, Unit.None),
        0xcd or 0xd1 => (0, 0, 2, Unit.None),
        0xce or 0xd2 => (0, 0, 4, Unit.None),
        0xcf or 0xd3 => (0, 0, 8, Unit.None),
        0xd4 => (0, 1, 1, Unit.Bytes),
        0xd5 => (0, 1, 2, Unit.Bytes),
        0xd6 => (0, 1, 4, Unit.Bytes),
        0xd7 => (0, 1, 8, Unit.Bytes),
        0xd8 => (0, 1, 16, Unit.Bytes),
        0xdc => (2, 0, null, Unit.Elements),
        0xdd => (4, 0, null, Unit.Elements),
        0xde => (2, 0, null, Unit.Entries),
        _ => (4, 0, null, Unit.Entries), // 0xdf
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
