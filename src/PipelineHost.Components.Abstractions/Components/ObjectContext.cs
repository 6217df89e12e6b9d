using System.Text;
using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Components;

/// <summary>The object being processed: identity, type and the result that sinks fill in.</summary>
public sealed class ObjectContext
{
    private readonly Action<string, JsonObject?>? _sse;

    /// <summary>Creates a context.</summary>
    /// <param name="name">The object's name.</param>
    /// <param name="mimeType">Its MIME type, lower-cased, without parameters.</param>
    /// <param name="objectId">A fresh lowercase UUID.</param>
    /// <param name="metadata">The client's object info.</param>
    /// <param name="sse">Where <see cref="MonitorSse"/> messages go (the worker sends them to the host); none: dropped.</param>
    public ObjectContext(string name, string mimeType, string objectId, JsonObject? metadata = null, Action<string, JsonObject?>? sse = null)
    {
        Name = name;
        MimeType = mimeType;
        ObjectId = objectId;
        Metadata = metadata ?? [];
        _sse = sse;
    }

    /// <summary>
    /// The object a component found this one inside (see <see cref="IComponentOutput.EmitObjectAsync"/>); null for
    /// an object a client or source sent.
    /// </summary>
    public ObjectContext? Parent { get; private init; }

    /// <summary>How many objects this one is inside: 0 for one a client or source sent, 1 for its children…</summary>
    public int Depth => Parent is null ? 0 : Parent.Depth + 1;

    /// <summary>The object a client or source sent, this one or the one its parents came from.</summary>
    public ObjectContext Root => Parent?.Root ?? this;

    /// <summary>A child of this object, sharing its <see cref="MonitorSse"/> target.</summary>
    internal ObjectContext Child(string name, string mimeType, string objectId, JsonObject? metadata) =>
        new(name, mimeType, objectId, metadata, _sse) { Parent = this };

    /// <summary>The object's name (<c>object.name</c>, or a generated lowercase UUID).</summary>
    public string Name { get; }

    /// <summary>The MIME type given on open, lower-cased, without parameters.</summary>
    public string MimeType { get; }

    /// <summary>A fresh lowercase UUID identifying this object.</summary>
    public string ObjectId { get; }

    /// <summary>The client's object info (<c>object</c> on open) minus nothing; read-only by convention.</summary>
    public JsonObject Metadata { get; }

    /// <summary>The result returned to the client on close; sinks add lanes to it.</summary>
    public ObjectResult Result { get; } = new();

    /// <summary>
    /// Sends an <c>apaevt_sse</c> event <c>{pipe_id, type, data?}</c> to the SSE subscribers of this object's task
    /// and pipe (RocketRide's <c>monitorSSE</c>): live messages a UI shows while the object is processed. A
    /// <paramref name="data"/> object is sent as given, so keep it small.
    /// </summary>
    public void MonitorSse(string type, JsonObject? data = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        _sse?.Invoke(type, data);
    }
}

/// <summary>
/// The body of a pipe's <c>close</c> response beyond its identity: <c>result_types</c> and one field per lane.
/// Thread-safe because fan-in sinks may add concurrently.
/// </summary>
public sealed class ObjectResult
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string Type, JsonArray Values)> _fields = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Utf8TextBuilder> _text = new(StringComparer.Ordinal);
    private readonly List<JsonObject> _objects = [];

    /// <summary>Lists a child object's own close answer (see <see cref="IComponentOutput.EmitObjectAsync"/>) under <c>objects</c>.</summary>
    internal void AddObject(JsonObject childResult)
    {
        lock (_lock)
        {
            _objects.Add(childResult);
        }
    }

    /// <summary>The child objects' close answers, in the order they ended; null when there were none.</summary>
    internal JsonArray? ObjectsSnapshot()
    {
        lock (_lock)
        {
            return _objects.Count == 0 ? null : new JsonArray([.. _objects.Select(o => (JsonNode)o.DeepClone())]);
        }
    }

    /// <summary>Appends <paramref name="value"/> to result field <paramref name="field"/> of type <paramref name="type"/>.</summary>
    public void Add(string field, string type, JsonNode? value)
    {
        lock (_lock)
        {
            if (!_fields.TryGetValue(field, out var entry))
            {
                entry = (type, new JsonArray());
                _fields[field] = entry;
            }

            entry.Values.Add(value);
        }
    }

    /// <summary>Makes sure <paramref name="field"/> exists (possibly empty) with <paramref name="type"/>.</summary>
    public void Declare(string field, string type)
    {
        lock (_lock)
        {
            _fields.TryAdd(field, (type, new JsonArray()));
        }
    }

    /// <summary>
    /// Appends text to the last string of <paramref name="field"/>, creating it when absent. Kept in a builder
    /// until the result is written, so an object streamed in many chunks costs linear, not quadratic, time; kept
    /// as UTF-8, the encoding it leaves the worker in, so the close answer neither builds one string of the whole
    /// text (twice its UTF-8 size) nor transcodes it again.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="text"/> holds a lone surrogate (a high one at its very end
    /// waits for the next text), which has no UTF-8 form.</exception>
    public void AppendText(string field, string text)
    {
        lock (_lock)
        {
            TextBuilderLocked(field).Append(text);
        }
    }

    /// <summary>Appends valid, whole UTF-8 to the last string of <paramref name="field"/>, as <see cref="AppendText"/> does.</summary>
    /// <exception cref="ArgumentException">The text so far ends in half a surrogate pair.</exception>
    public void AppendUtf8(string field, ReadOnlySpan<byte> utf8)
    {
        lock (_lock)
        {
            TextBuilderLocked(field).AppendUtf8(utf8);
        }
    }

    /// <summary>The builder of <paramref name="field"/>'s last string, the field and the builder made when absent.</summary>
    private Utf8TextBuilder TextBuilderLocked(string field)
    {
        if (!_fields.ContainsKey(field))
        {
            _fields[field] = (field, new JsonArray());
        }

        if (!_text.TryGetValue(field, out var builder))
        {
            builder = new Utf8TextBuilder();
            _text[field] = builder;
        }

        return builder;
    }

    /// <summary>True when no sink added anything.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _fields.Count == 0 && _objects.Count == 0;
            }
        }
    }

    /// <summary>
    /// Each field in order: its name, type, a copy of its values and, when text was appended to it, that text as
    /// UTF-8 segments (see <see cref="Utf8TextBuilder.ToSegments"/>). The runtime writes the close answer from it.
    /// </summary>
    /// <exception cref="ArgumentException">An appended text ends in half a surrogate pair.</exception>
    internal List<(string Field, string Type, JsonArray Values, IReadOnlyList<ReadOnlyMemory<byte>>? Text)> Snapshot()
    {
        lock (_lock)
        {
            var fields = new List<(string, string, JsonArray, IReadOnlyList<ReadOnlyMemory<byte>>?)>(_fields.Count);
            foreach (var (field, (type, values)) in _fields)
            {
                fields.Add((field, type, (JsonArray)values.DeepClone(), _text.TryGetValue(field, out var builder) ? builder.ToSegments() : null));
            }

            return fields;
        }
    }
}

/// <summary>
/// Text appended piece by piece, held as UTF-8 in segments that are only ever appended to, so a
/// list of segments taken of it stays valid while more text arrives. Not thread-safe.
/// </summary>
internal sealed class Utf8TextBuilder
{
    // Large enough that a 4 MiB object is a handful of segments, small enough that a short text wastes little.
    private const int SegmentSize = 256 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<ReadOnlyMemory<byte>> _full = [];
    private byte[] _current = [];
    private int _used;

    // A high surrogate that ended the last text: its low half starts the next one.
    private char? _pendingHigh;

    /// <summary>Appends <paramref name="text"/>.</summary>
    public void Append(string text)
    {
        ReadOnlySpan<char> chars = text;
        if (chars.IsEmpty)
        {
            return;
        }

        if (_pendingHigh is { } high)
        {
            _pendingHigh = null;
            Span<char> pair = [high, chars[0]];
            Write(pair);
            chars = chars[1..];
        }

        if (!chars.IsEmpty && char.IsHighSurrogate(chars[^1]))
        {
            _pendingHigh = chars[^1];
            chars = chars[..^1];
        }

        Write(chars);
    }

    /// <summary>Appends valid, whole UTF-8.</summary>
    /// <exception cref="ArgumentException">The text so far ends in half a surrogate pair, which this cannot complete.</exception>
    public void AppendUtf8(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return;
        }

        if (_pendingHigh is { } high)
        {
            _ = StrictUtf8.GetByteCount([high]); // throws: UTF-8 never starts with the low half of a pair
        }

        Reserve(utf8.Length);
        utf8.CopyTo(_current.AsSpan(_used));
        _used += utf8.Length;
    }

    /// <summary>The text so far, as UTF-8 segments that stay valid while more text arrives.</summary>
    /// <exception cref="ArgumentException">The text ends in half a surrogate pair.</exception>
    public IReadOnlyList<ReadOnlyMemory<byte>> ToSegments()
    {
        if (_pendingHigh is { } high)
        {
            _ = StrictUtf8.GetByteCount([high]); // throws: half a pair has no UTF-8 form
        }

        return _used == 0 ? [.. _full] : [.. _full, _current.AsMemory(0, _used)];
    }

    private void Write(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty)
        {
            return;
        }

        Reserve(StrictUtf8.GetByteCount(chars));
        _used += StrictUtf8.GetBytes(chars, _current.AsSpan(_used));
    }

    /// <summary>Makes room for <paramref name="count"/> bytes in the current segment, starting a new one if needed.</summary>
    private void Reserve(int count)
    {
        if (_current.Length - _used < count)
        {
            if (_used > 0)
            {
                _full.Add(_current.AsMemory(0, _used));
            }

            _current = GC.AllocateUninitializedArray<byte>(Math.Max(SegmentSize, count));
            _used = 0;
        }
    }
}
