using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PipelineHost.Protocol.Json;

/// <summary>
/// A JSON string held as UTF-8 bytes, in one or more segments, for text too large to be worth a .NET string: an
/// object's whole text in a <c>close</c> answer. Every conversion of such a text to UTF-16 and back costs a fresh
/// buffer twice its size; held as UTF-8 it goes from the pipeline to the wire with copies only. Put in a tree with
/// <see cref="ToJsonValue"/>: both codecs write it as an ordinary string (<c>str</c> in MessagePack), and so does
/// <see cref="JsonNode.ToJsonString"/>. Readers that need the text call <see cref="TryGet"/> or
/// <see cref="ToString"/>; <c>GetValue&lt;string&gt;()</c> does not see it.
/// </summary>
public sealed class Utf8String
{
    // Immutable once built. The options need a resolver, though the value's own converter does all the work.
    private static readonly JsonTypeInfo<Utf8String> TypeInfo = JsonMetadataServices.CreateValueInfo<Utf8String>(
        new JsonSerializerOptions { TypeInfoResolver = JsonTypeInfoResolver.Combine() },
        new Converter());

    private readonly ReadOnlyMemory<byte>[] _segments;

    /// <summary>Wraps <paramref name="segments"/>, which are not copied and must not change afterwards.</summary>
    /// <param name="segments">Valid UTF-8, each segment ending on a character boundary.</param>
    public Utf8String(IEnumerable<ReadOnlyMemory<byte>> segments)
    {
        _segments = [.. segments];
        foreach (var segment in _segments)
        {
            Length += segment.Length;
        }
    }

    /// <summary>The length in UTF-8 bytes.</summary>
    public int Length { get; }

    /// <summary>The bytes, in order.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Segments => _segments;

    /// <summary>A <see cref="JsonValue"/> holding this string.</summary>
    public JsonValue ToJsonValue() => JsonValue.Create(this, TypeInfo)!;

    /// <summary>The string in <paramref name="node"/>, when it holds a <see cref="Utf8String"/>.</summary>
    public static bool TryGet(JsonNode? node, [NotNullWhen(true)] out Utf8String? value)
    {
        value = null;
        return node is JsonValue json && json.TryGetValue(out value);
    }

    /// <summary>
    /// The text of a string value, held either way (a .NET string or a <see cref="Utf8String"/>); null when
    /// <paramref name="node"/> is not a string. For fields the reader needs as text whatever their length.
    /// </summary>
    public static string? StringOf(JsonNode? node) => node switch
    {
        JsonValue value when value.TryGetValue(out string? text) => text,
        JsonValue value when value.TryGetValue(out Utf8String? utf8) => utf8.ToString(),
        _ => null,
    };

    /// <summary>Decodes the text (a copy: avoid it on large strings).</summary>
    public override string ToString()
    {
        var bytes = new byte[Length];
        var offset = 0;
        foreach (var segment in _segments)
        {
            segment.Span.CopyTo(bytes.AsSpan(offset));
            offset += segment.Length;
        }

        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Writes the string a segment at a time, so the writer's escaping scratch stays segment-sized.</summary>
    private sealed class Converter : JsonConverter<Utf8String>
    {
        // The writer escapes each piece through a scratch buffer of six bytes per byte: pieces this small keep it
        // in the shared pool instead of a fresh large array per piece.
        private const int WriteSize = 16 * 1024;

        public override Utf8String Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new([Encoding.UTF8.GetBytes(reader.GetString() ?? string.Empty)]);

        public override void Write(Utf8JsonWriter writer, Utf8String value, JsonSerializerOptions options)
        {
            var rented = ArrayPool<char>.Shared.Rent(WriteSize); // a UTF-8 piece never decodes to more chars than it has bytes
            var chars = rented.AsSpan(0, WriteSize);
            try
            {
                WriteSegments(writer, value, chars);
            }
            finally
            {
                ArrayPool<char>.Shared.Return(rented);
            }

            writer.WriteStringValueSegment(ReadOnlySpan<char>.Empty, isFinalSegment: true);
        }

        private static void WriteSegments(Utf8JsonWriter writer, Utf8String value, Span<char> chars)
        {
            foreach (var segment in value._segments)
            {
                var bytes = segment.Span;
                while (bytes.Length > WriteSize)
                {
                    // Cut before a character's continuation bytes, never inside a character.
                    var take = WriteSize;
                    while (take > 0 && (bytes[take] & 0xC0) == 0x80)
                    {
                        take--;
                    }

                    WritePiece(writer, bytes[..take], chars);
                    bytes = bytes[take..];
                }

                WritePiece(writer, bytes, chars);
            }
        }

        // Through UTF-16 on purpose: the writer escapes chars about four times faster than UTF-8 bytes, and a
        // piece decoded in cache costs less than the difference. A piece ends on a character boundary.
        private static void WritePiece(Utf8JsonWriter writer, ReadOnlySpan<byte> bytes, Span<char> chars)
        {
            var count = Encoding.UTF8.GetChars(bytes, chars);
            writer.WriteStringValueSegment(chars[..count], isFinalSegment: false);
        }
    }
}
