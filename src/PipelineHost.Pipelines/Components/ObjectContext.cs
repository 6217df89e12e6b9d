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
    private readonly Dictionary<string, System.Text.StringBuilder> _text = new(StringComparer.Ordinal);

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
    /// until the result is written, so an object streamed in many chunks costs linear, not quadratic, time.
    /// </summary>
    public void AppendText(string field, string text)
    {
        lock (_lock)
        {
            if (!_fields.ContainsKey(field))
            {
                _fields[field] = (field, new JsonArray());
            }

            if (!_text.TryGetValue(field, out var builder))
            {
                builder = new System.Text.StringBuilder();
                _text[field] = builder;
            }

            builder.Append(text);
        }
    }

    /// <summary>True when no sink added anything.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _fields.Count == 0;
            }
        }
    }

    /// <summary>Writes <c>result_types</c> and the fields into <paramref name="body"/>; nothing when empty.</summary>
    public void WriteTo(JsonObject body)
    {
        lock (_lock)
        {
            if (_fields.Count == 0)
            {
                return;
            }

            var types = new JsonObject();
            foreach (var (field, (type, values)) in _fields)
            {
                types[field] = type;
                var copy = (JsonArray)values.DeepClone();
                if (_text.TryGetValue(field, out var builder))
                {
                    copy.Add(JsonValue.Create(builder.ToString()));
                }

                body[field] = copy;
            }

            body["result_types"] = types;
        }
    }
}
