using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Lanes;

/// <summary>One item travelling on a lane. Each lane has exactly one payload type.</summary>
public abstract record LanePayload
{
    /// <summary>The payload's size in bytes for counters (UTF-8 length for text).</summary>
    public abstract long Size { get; }
}

/// <summary>Raw bytes, the <c>tags</c> lane.</summary>
public sealed record BytesPayload(ReadOnlyMemory<byte> Bytes) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Bytes.Length;
}

/// <summary>Text, the <c>text</c> lane.</summary>
/// <remarks>
/// Made from a string, or from UTF-8 (<see cref="FromUtf8"/>), as a source reads it: then the string is built only
/// when a component asks for <see cref="Text"/>, and a component that passes the text on as UTF-8 (the response
/// sink) never needs one. A 64 KiB write would otherwise be a 128 KB string per write, decoded only to be encoded
/// back. Equal when the texts are.
/// </remarks>
public sealed record TextPayload : LanePayload
{
    private readonly ReadOnlyMemory<byte>? _utf8;
    private string? _text;

    /// <summary>Text given as a string.</summary>
    public TextPayload(string text) => _text = text;

    private TextPayload(ReadOnlyMemory<byte> utf8) => _utf8 = utf8;

    /// <summary>The text; decoded from <see cref="Utf8"/> on first use when the payload was made from UTF-8.</summary>
    public string Text
    {
        // A race decodes twice into equal strings: harmless, and cheaper than a lock on every read.
        get => _text ??= System.Text.Encoding.UTF8.GetString(_utf8!.Value.Span);
        init
        {
            _text = value;
            _utf8 = null;
        }
    }

    /// <summary>The text's UTF-8 when the payload was made from it (<see cref="FromUtf8"/>); otherwise null.</summary>
    public ReadOnlyMemory<byte>? Utf8 => _utf8;

    /// <inheritdoc />
    public override long Size => _utf8?.Length ?? System.Text.Encoding.UTF8.GetByteCount(Text);

    /// <summary>
    /// Text given as UTF-8, which must be valid and whole (not ending inside a character) and which the payload then
    /// owns: it must not change afterwards.
    /// </summary>
    public static TextPayload FromUtf8(ReadOnlyMemory<byte> utf8) => new(utf8);

    /// <inheritdoc />
    public bool Equals(TextPayload? other) => other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
}

/// <summary>A chunk of text with metadata (source object, chunk index, offsets...).</summary>
public sealed record Document(string Text, JsonObject Metadata);

/// <summary>Documents, the <c>documents</c> lane.</summary>
public sealed record DocumentsPayload(IReadOnlyList<Document> Documents) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Documents.Sum(d => (long)System.Text.Encoding.UTF8.GetByteCount(d.Text));
}

/// <summary>Rows of a table, the <c>table</c> lane. Every row has a value (possibly null) for every column.</summary>
public sealed record TablePayload(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string?>> Rows) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Rows.Sum(r => r.Sum(c => (long)(c?.Length ?? 0)));
}

/// <summary>One label assigned to an object: which rule matched and the matched text.</summary>
public sealed record Classification(string Label, string Rule, string? Match)
{
    /// <summary>Where the match starts in the object's text (UTF-16 code units), when the rule knows; else null.</summary>
    public long? Start { get; init; }

    /// <summary>The match's length in UTF-16 code units, when <see cref="Start"/> is known.</summary>
    public int? Length { get; init; }
}

/// <summary>Labels, the <c>classifications</c> lane.</summary>
public sealed record ClassificationsPayload(IReadOnlyList<Classification> Classifications) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Classifications.Count;
}

/// <summary>
/// An image, audio or video item: its bytes, MIME type and what is known about it (for images <c>width</c> and
/// <c>height</c>; the name of the object or entry it came from). The <c>image</c>, <c>audio</c> and <c>video</c>
/// lanes.
/// </summary>
public sealed record MediaPayload(string MimeType, ReadOnlyMemory<byte> Bytes, JsonObject Metadata) : LanePayload
{
    /// <summary>An image, with its dimensions and name when known.</summary>
    public static MediaPayload Image(ReadOnlyMemory<byte> bytes, string mimeType, int? width = null, int? height = null, string? name = null)
    {
        var metadata = new JsonObject();
        if (width is { } w)
        {
            metadata["width"] = w;
        }

        if (height is { } h)
        {
            metadata["height"] = h;
        }

        if (name is not null)
        {
            metadata["name"] = name;
        }

        return new MediaPayload(mimeType, bytes, metadata);
    }

    /// <summary>Width in pixels, when known (images).</summary>
    public int? Width => Metadata["width"] is JsonValue value && value.TryGetValue(out int width) ? width : null;

    /// <summary>Height in pixels, when known (images).</summary>
    public int? Height => Metadata["height"] is JsonValue value && value.TryGetValue(out int height) ? height : null;

    /// <summary>The name of the object, page or entry it came from, when it has one.</summary>
    public string? Name => Metadata["name"] is JsonValue value && value.TryGetValue(out string? name) ? name : null;

    /// <inheritdoc />
    public override long Size => Bytes.Length;
}

/// <summary>
/// A JSON value carried as is: the <c>questions</c> and <c>answers</c> lanes, whose RocketRide objects
/// (<c>{"questions":[{"text":…}]}</c>, <c>{"answer":…}</c>) no built-in component interprets.
/// </summary>
public sealed record JsonPayload(JsonNode? Value) : LanePayload
{
    /// <inheritdoc />
    public override long Size => Value?.ToJsonString().Length ?? 4;
}

