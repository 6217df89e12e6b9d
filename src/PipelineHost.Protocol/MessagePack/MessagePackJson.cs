using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MessagePack;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Protocol.MessagePack;

/// <summary>
/// Converts between MessagePack values and <see cref="JsonNode"/> trees, so code written against the JSON
/// envelope works unchanged on MessagePack. The bytes are read and written by the MessagePack-CSharp package's
/// <see cref="MessagePackReader"/> and <see cref="MessagePackWriter"/>; this class adds what a peer's untrusted
/// input needs on top of them: a depth limit, strict UTF-8, string map keys, no duplicate keys, and errors that
/// name the byte offset and the format (<see cref="MessagePackFormatException"/>) instead of the package's
/// <see cref="EndOfStreamException"/> and <see cref="MessagePackSerializationException"/>.
/// </summary>
/// <remarks>
/// <para>Reading: nil → null; bool → bool; integers → a <see cref="JsonValue"/> holding <see cref="long"/>
/// (or <see cref="ulong"/> above <see cref="long.MaxValue"/>); float32/float64 → <see cref="double"/>;
/// str → string; array → <see cref="JsonArray"/>; map → <see cref="JsonObject"/> (keys must be str and
/// unique); bin → a base64 string (the message codec takes <c>bin</c> payloads out before they get here);
/// timestamp → an ISO-8601 UTC string such as <c>2024-02-29T12:34:56.123456789Z</c>. Any other extension
/// type is an error: the protocol defines none, and inventing a JSON shape for it would let foreign data
/// pass for ordinary arguments.</para>
/// <para>Writing: null → nil; bool → bool; an integral number (a <see cref="JsonValue"/> holding an integer
/// type, or a parsed JSON number that fits <see cref="long"/> or <see cref="ulong"/>) → the smallest integer
/// encoding; every other number → float64; string → str; array → array; object → map. Base64 and ISO-8601
/// strings stay strings: reading bin and timestamps is one-way.</para>
/// </remarks>
public static class MessagePackJson
{
    /// <summary>The default nesting limit for reading, the same as the JSON codec's, so both accept the same trees.</summary>
    public const int DefaultMaxDepth = 64;

    /// <summary>The nesting limit for writing, the same as <see cref="Utf8JsonWriter"/>'s default.</summary>
    public const int MaxWriteDepth = 1000;

    /// <summary>Reads one value (and everything nested in it) as a JSON tree; null stands for nil.</summary>
    /// <param name="reader">The reader, positioned at the value.</param>
    /// <param name="maxDepth">The deepest nesting of arrays and maps allowed; the outermost container is depth 1.</param>
    /// <exception cref="MessagePackFormatException">The value is malformed, nests too deeply, or has no JSON form.</exception>
    public static JsonNode? Read(ref MessagePackReader reader, int maxDepth = DefaultMaxDepth) =>
        ReadNode(ref reader, maxDepth, 0);

    /// <summary>Reads <paramref name="msgpack"/>, which must hold exactly one value, as a JSON tree.</summary>
    /// <exception cref="MessagePackFormatException">The value is malformed or followed by trailing bytes.</exception>
    public static JsonNode? Deserialize(ReadOnlyMemory<byte> msgpack, int maxDepth = DefaultMaxDepth) =>
        Deserialize(new ReadOnlySequence<byte>(msgpack), maxDepth);

    /// <summary>Reads <paramref name="msgpack"/>, which must hold exactly one value, as a JSON tree.</summary>
    /// <exception cref="MessagePackFormatException">The value is malformed or followed by trailing bytes.</exception>
    public static JsonNode? Deserialize(ReadOnlySequence<byte> msgpack, int maxDepth = DefaultMaxDepth)
    {
        var reader = new MessagePackReader(msgpack);
        var node = Read(ref reader, maxDepth);
        EnsureEnd(ref reader);
        return node;
    }

    /// <summary>Writes <paramref name="node"/> as one MessagePack value.</summary>
    /// <exception cref="InvalidOperationException">The tree nests deeper than <see cref="MaxWriteDepth"/>.</exception>
    /// <exception cref="ArgumentException">A string holds a lone surrogate.</exception>
    /// <remarks>The caller flushes <paramref name="writer"/>.</remarks>
    public static void Write(ref MessagePackWriter writer, JsonNode? node) => WriteNode(ref writer, node, 0);

    /// <summary>Encodes <paramref name="node"/> into a new array.</summary>
    /// <exception cref="InvalidOperationException">The tree nests deeper than <see cref="MaxWriteDepth"/>.</exception>
    public static byte[] Serialize(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        Write(ref writer, node);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Throws unless <paramref name="reader"/> has consumed its whole input.</summary>
    internal static void EnsureEnd(ref MessagePackReader reader)
    {
        if (!reader.End)
        {
            var remaining = reader.Sequence.Length - reader.Consumed;
            throw new MessagePackFormatException(reader.Consumed, string.Create(CultureInfo.InvariantCulture, $"the value ends here but the input goes on for {remaining} more byte(s)."));
        }
    }

    /// <summary>
    /// Reads one value; <paramref name="depth"/> is the number of containers already open around it. A str of at
    /// least <paramref name="utf8StringsFrom"/> bytes becomes a <see cref="Utf8String"/> over the input (which must
    /// then outlive the tree) instead of a .NET string.
    /// </summary>
    internal static JsonNode? ReadNode(ref MessagePackReader reader, int maxDepth, int depth, int utf8StringsFrom = int.MaxValue)
    {
        var start = reader.Consumed;
        try
        {
            var code = reader.NextCode;
            switch (MessagePackCode.ToMessagePackType(code))
            {
                case MessagePackType.Nil:
                    reader.ReadNil();
                    return null;

                case MessagePackType.Boolean:
                    return JsonValue.Create(reader.ReadBoolean());

                case MessagePackType.Integer:
                    return code == MessagePackCode.UInt64 ? NumberNode(reader.ReadUInt64()) : NumberNode(reader.ReadInt64());

                case MessagePackType.Float:
                    return NumberNode(reader.ReadDouble());

                case MessagePackType.String:
                    var utf8 = reader.ReadStringSequence()!.Value;
                    return utf8.Length >= utf8StringsFrom
                        ? new Utf8String([utf8.IsSingleSegment ? utf8.First : utf8.ToArray()]).ToJsonValue()
                        : JsonValue.Create(DecodeUtf8(utf8, start, code));

                case MessagePackType.Binary:
                    return JsonValue.Create(ToBase64(reader.ReadBytes()!.Value));

                case MessagePackType.Array:
                    EnsureDepth(start, maxDepth, depth);
                    var count = reader.ReadArrayHeader();
                    var array = new JsonArray();
                    for (var i = 0; i < count; i++)
                    {
                        array.Add(ReadNode(ref reader, maxDepth, depth + 1, utf8StringsFrom));
                    }

                    return array;

                case MessagePackType.Map:
                    EnsureDepth(start, maxDepth, depth);
                    var entries = reader.ReadMapHeader();
                    var map = new JsonObject();
                    for (var i = 0; i < entries; i++)
                    {
                        var key = ReadKey(ref reader);
                        if (!map.TryAdd(key.Name, ReadNode(ref reader, maxDepth, depth + 1, utf8StringsFrom)))
                        {
                            throw new MessagePackFormatException(key.Offset, $"duplicate map key '{key.Name}'.");
                        }
                    }

                    return map;

                case MessagePackType.Extension:
                    var header = reader.ReadExtensionFormatHeader();
                    if (header.TypeCode != MessagePackTimestamp.ExtensionType)
                    {
                        throw new MessagePackFormatException(start, string.Create(CultureInfo.InvariantCulture,
                            $"extension type {header.TypeCode} has no JSON form; only timestamps (type -1) are supported."));
                    }

                    var timestamp = MessagePackTimestamp.Decode(reader.ReadRaw(header.Length), start);
                    return timestamp.FitsDateTimeOffset
                        ? JsonValue.Create(timestamp.ToIsoString())
                        : throw new MessagePackFormatException(start, string.Create(CultureInfo.InvariantCulture,
                            $"timestamp {timestamp.Seconds}s lies outside years 1..9999 and has no ISO-8601 form."));

                default:
                    throw new MessagePackFormatException(start, string.Create(CultureInfo.InvariantCulture,
                        $"0x{code:X2} is a reserved format byte and starts no value."));
            }
        }
        catch (Exception ex) when (IsShortInput(ex))
        {
            throw Truncated(reader.Sequence, start);
        }
        catch (MessagePackSerializationException ex)
        {
            throw new MessagePackFormatException(start, ex.Message);
        }
    }

    /// <summary>Reads a map key, which JSON requires to be a string.</summary>
    internal static (string Name, long Offset) ReadKey(ref MessagePackReader reader)
    {
        var offset = reader.Consumed;
        try
        {
            var code = reader.NextCode;
            if (MessagePackCode.ToMessagePackType(code) != MessagePackType.String)
            {
                throw new MessagePackFormatException(offset, string.Create(CultureInfo.InvariantCulture,
                    $"a map key must be a string but found {MessagePackFormats.Name(code)} (0x{code:X2})."));
            }

            return (DecodeUtf8(reader.ReadStringSequence()!.Value, offset, code), offset);
        }
        catch (Exception ex) when (IsShortInput(ex))
        {
            throw Truncated(reader.Sequence, offset);
        }
    }

    // The package decodes str leniently (invalid bytes become U+FFFD); a peer's malformed text is an error here,
    // so that what one codec refuses the other refuses too (System.Text.Json rejects invalid UTF-8).
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string DecodeUtf8(ReadOnlySequence<byte> utf8, long start, byte code)
    {
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new MessagePackFormatException(start, $"{MessagePackFormats.Name(code)} is not valid UTF-8.");
        }
    }

    /// <summary>
    /// Writes <paramref name="text"/> as a str. The package would write U+FFFD for a lone surrogate; here it is an
    /// <see cref="ArgumentException"/>, as in <see cref="Utf8JsonWriter"/>, so both codecs refuse the same strings.
    /// </summary>
    internal static void WriteString(ref MessagePackWriter writer, string text)
    {
        var length = StrictUtf8.GetByteCount(text);
        writer.WriteStringHeader(length);
        var span = writer.GetSpan(length);
        StrictUtf8.GetBytes(text, span);
        writer.Advance(length);
    }

    /// <summary>Reads a map header, turning a short input into a <see cref="MessagePackFormatException"/>.</summary>
    internal static int ReadMapHeader(ref MessagePackReader reader)
    {
        var start = reader.Consumed;
        try
        {
            return reader.ReadMapHeader();
        }
        catch (Exception ex) when (IsShortInput(ex))
        {
            throw Truncated(reader.Sequence, start);
        }
    }

    /// <summary>
    /// True for the package's ways of saying a value claims more bytes than the input has: a short read, or a
    /// 32-bit length beyond <see cref="int.MaxValue"/> that it cannot slice.
    /// </summary>
    internal static bool IsShortInput(Exception ex) => ex is EndOfStreamException or ArgumentOutOfRangeException;

    /// <summary>The error for the value at <paramref name="start"/> in <paramref name="input"/>, whose bytes run out.</summary>
    internal static MessagePackFormatException Truncated(ReadOnlySequence<byte> input, long start) =>
        new(start, MessagePackFormats.DescribeTruncation(input.Slice(start)));

    private static string ToBase64(ReadOnlySequence<byte> bytes) =>
        Convert.ToBase64String(bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray());

    /// <summary>Writes one node; <paramref name="depth"/> is the number of containers already open around it.</summary>
    internal static void WriteNode(ref MessagePackWriter writer, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                writer.WriteNil();
                break;

            case JsonObject obj:
                EnsureWriteDepth(depth);
                writer.WriteMapHeader(obj.Count);
                foreach (var (key, value) in obj)
                {
                    WriteString(ref writer, key);
                    WriteNode(ref writer, value, depth + 1);
                }

                break;

            case JsonArray array:
                EnsureWriteDepth(depth);
                writer.WriteArrayHeader(array.Count);
                foreach (var item in array)
                {
                    WriteNode(ref writer, item, depth + 1);
                }

                break;

            default:
                WriteValue(ref writer, (JsonValue)node, depth);
                break;
        }
    }

    private static void WriteValue(ref MessagePackWriter writer, JsonValue value, int depth)
    {
        // A parsed tree holds JsonElement-backed values; a built one holds CLR primitives. Check the
        // element first: an element-backed value would otherwise convert itself to every type asked for.
        if (value.TryGetValue(out JsonElement element))
        {
            WriteElement(ref writer, element, depth);
        }
        else if (value.TryGetValue(out Utf8String? utf8))
        {
            // Already UTF-8: copied, not transcoded.
            writer.WriteStringHeader(utf8.Length);
            foreach (var segment in utf8.Segments)
            {
                writer.WriteRaw(segment.Span);
            }
        }
        else if (value.TryGetValue(out string? text))
        {
            WriteString(ref writer, text);
        }
        else if (value.TryGetValue(out bool flag))
        {
            writer.Write(flag);
        }
        else if (value.TryGetValue(out long int64))
        {
            writer.Write(int64);
        }
        else if (value.TryGetValue(out int int32))
        {
            writer.Write(int32);
        }
        else if (value.TryGetValue(out double float64))
        {
            writer.Write(float64);
        }
        else if (value.TryGetValue(out ulong uint64))
        {
            writer.Write(uint64);
        }
        else if (value.TryGetValue(out uint uint32))
        {
            writer.Write(uint32);
        }
        else if (value.TryGetValue(out short int16))
        {
            writer.Write(int16);
        }
        else if (value.TryGetValue(out ushort uint16))
        {
            writer.Write(uint16);
        }
        else if (value.TryGetValue(out sbyte int8))
        {
            writer.Write(int8);
        }
        else if (value.TryGetValue(out byte uint8))
        {
            writer.Write(uint8);
        }
        else if (value.TryGetValue(out float float32))
        {
            writer.Write((double)float32); // the wire has no way to say "this JSON number was a float"
        }
        else if (value.TryGetValue(out decimal number))
        {
            WriteDecimal(ref writer, number);
        }
        else
        {
            // Anything else (char, Guid, DateTime, a custom type) writes as whatever JSON it serializes to.
            using var document = JsonDocument.Parse(value.ToJsonString());
            WriteElement(ref writer, document.RootElement, depth);
        }
    }

    private static void WriteDecimal(ref MessagePackWriter writer, decimal number)
    {
        if (decimal.IsInteger(number) && number >= long.MinValue && number <= ulong.MaxValue)
        {
            if (number >= 0)
            {
                writer.Write((ulong)number);
            }
            else
            {
                writer.Write((long)number);
            }
        }
        else
        {
            writer.Write((double)number);
        }
    }

    private static void WriteElement(ref MessagePackWriter writer, JsonElement element, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                EnsureWriteDepth(depth);
                var count = 0;
                foreach (var _ in element.EnumerateObject())
                {
                    count++;
                }

                writer.WriteMapHeader(count);
                foreach (var property in element.EnumerateObject())
                {
                    WriteString(ref writer, property.Name);
                    WriteElement(ref writer, property.Value, depth + 1);
                }

                break;

            case JsonValueKind.Array:
                EnsureWriteDepth(depth);
                writer.WriteArrayHeader(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    WriteElement(ref writer, item, depth + 1);
                }

                break;

            case JsonValueKind.String:
                WriteString(ref writer, element.GetString()!);
                break;

            case JsonValueKind.Number:
                if (element.TryGetInt64(out var int64))
                {
                    writer.Write(int64);
                }
                else if (element.TryGetUInt64(out var uint64))
                {
                    writer.Write(uint64);
                }
                else
                {
                    // Beyond double's range JSON text still parses; it becomes ±Infinity rather than an error.
                    writer.Write(double.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture));
                }

                break;

            case JsonValueKind.True:
                writer.Write(true);
                break;

            case JsonValueKind.False:
                writer.Write(false);
                break;

            case JsonValueKind.Null:
                writer.WriteNil();
                break;

            default:
                throw new ArgumentException("A default JsonElement has no value to write.", nameof(element));
        }
    }

    private static void EnsureDepth(long start, int maxDepth, int depth)
    {
        if (depth >= maxDepth)
        {
            throw new MessagePackFormatException(start, string.Create(CultureInfo.InvariantCulture,
                $"arrays and maps nest deeper than the maximum depth of {maxDepth}."));
        }
    }

    private static void EnsureWriteDepth(int depth)
    {
        if (depth >= MaxWriteDepth)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The JSON tree nests deeper than {MaxWriteDepth} levels."));
        }
    }

    // Numbers become element-backed values, exactly as JsonNode.Parse makes them, so code reading a tree gets
    // the same conversions (GetValue<int> on a small integer, GetValue<double> on any number) whichever codec
    // decoded it.
    private static JsonValue NumberNode(long number) => ElementNode(number, default);

    private static JsonValue NumberNode(ulong number) => ElementNode(number, default);

    private static JsonValue NumberNode(double number) =>
        double.IsFinite(number) ? ElementNode(number, "R", keepFloat: true) : JsonValue.Create(number);

    private static JsonValue ElementNode<T>(T number, ReadOnlySpan<char> format, bool keepFloat = false)
        where T : IUtf8SpanFormattable
    {
        Span<byte> text = stackalloc byte[34];
        if (!number.TryFormat(text, out var written, format, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("A number did not fit its text buffer.");
        }

        // An integral float keeps a fraction ("1.0"), so it is written back as a float, not an integer.
        if (keepFloat && text[..written].IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            text[written++] = (byte)'.';
            text[written++] = (byte)'0';
        }

        var reader = new Utf8JsonReader(text[..written]);
        return JsonValue.Create(JsonElement.ParseValue(ref reader))!;
    }
}
