using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Lanes;

/// <summary>The JSON form of each lane's payload: what a <c>response</c> sink returns and what <c>lane/&lt;name&gt;</c> input carries.</summary>
public static class LanePayloadJson
{
    /// <summary>The JSON form of <paramref name="payload"/>.</summary>
    public static JsonNode? ToJson(LanePayload payload) => payload switch
    {
        TextPayload text => JsonValue.Create(text.Text),
        BytesPayload bytes => JsonValue.Create(Convert.ToBase64String(bytes.Bytes.Span)),
        DocumentsPayload documents => new JsonArray(documents.Documents
            .Select(d => (JsonNode)new JsonObject { ["text"] = d.Text, ["metadata"] = d.Metadata.DeepClone() })
            .ToArray()),
        TablePayload table => new JsonObject
        {
            ["columns"] = new JsonArray(table.Columns.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
            ["rows"] = new JsonArray(table.Rows
                .Select(r => (JsonNode)new JsonArray(r.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()))
                .ToArray()),
        },
        ClassificationsPayload classes => new JsonArray(classes.Classifications
            .Select(c => (JsonNode)ClassificationJson(c))
            .ToArray()),
        MediaPayload media => MediaJson(media),
        JsonPayload json => json.Value?.DeepClone(),
        _ => throw new ArgumentException($"Unknown payload {payload.GetType().Name}.", nameof(payload)),
    };

    private static JsonObject MediaJson(MediaPayload media)
    {
        var obj = new JsonObject { ["mimeType"] = media.MimeType, ["size"] = media.Bytes.Length };
        foreach (var (key, value) in media.Metadata)
        {
            obj[key] = value?.DeepClone();
        }

        obj["data"] = Convert.ToBase64String(media.Bytes.Span);
        return obj;
    }

    /// <summary>Reads a payload for <paramref name="lane"/> from its JSON form (or UTF-8 text for <c>text</c>).</summary>
    /// <exception cref="FormatException">The bytes are not the lane's JSON form.</exception>
    public static LanePayload Parse(string lane, ReadOnlySpan<byte> utf8)
    {
        if (lane == LaneNames.Text)
        {
            return new TextPayload(Encoding.UTF8.GetString(utf8));
        }

        if (lane == LaneNames.Tags)
        {
            return new BytesPayload(utf8.ToArray());
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(utf8);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Input for lane '{lane}' is not valid JSON: {ex.Message}", ex);
        }

        return lane switch
        {
            LaneNames.Documents => new DocumentsPayload(AsArray(node, lane).Select(ReadDocument).ToList()),
            LaneNames.Table => ReadTable(node),
            LaneNames.Classifications => new ClassificationsPayload(AsArray(node, lane)
                .Select(n => new Classification(
                    n?["label"]?.GetValue<string>() ?? throw new FormatException("A classification needs 'label'."),
                    n["rule"]?.GetValue<string>() ?? string.Empty,
                    n["match"]?.GetValue<string>())
                {
                    Start = n["start"]?.GetValue<long>(),
                    Length = n["length"]?.GetValue<int>(),
                })
                .ToList()),
            LaneNames.Image or LaneNames.Audio or LaneNames.Video => ReadMedia(node, lane),
            LaneNames.Questions or LaneNames.Answers => new JsonPayload(node),
            _ => throw new FormatException($"Unknown lane '{lane}'."),
        };
    }

    /// <summary>A classification's JSON: <c>start</c>/<c>length</c> only when its rule knows the span.</summary>
    private static JsonObject ClassificationJson(Classification c)
    {
        var json = new JsonObject { ["label"] = c.Label, ["rule"] = c.Rule, ["match"] = c.Match };
        if (c.Start is { } start)
        {
            json["start"] = start;
            json["length"] = c.Length;
        }

        return json;
    }

    private static JsonArray AsArray(JsonNode? node, string lane) =>
        node as JsonArray ?? (node is JsonObject obj ? [obj.DeepClone()] : throw new FormatException($"Input for lane '{lane}' must be a JSON array."));

    private static Document ReadDocument(JsonNode? node) => node switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => new Document(value.GetValue<string>(), []),
        JsonObject obj => new Document(
            obj["text"]?.GetValue<string>() ?? throw new FormatException("A document needs 'text'."),
            obj["metadata"] as JsonObject is { } meta ? (JsonObject)meta.DeepClone() : []),
        _ => throw new FormatException("A document must be a string or an object with 'text'."),
    };

    private static MediaPayload ReadMedia(JsonNode? node, string lane)
    {
        if (node is not JsonObject obj || obj["data"] is not JsonValue data || data.GetValueKind() != JsonValueKind.String)
        {
            throw new FormatException($"Input for lane '{lane}' must be {{\"mimeType\":…,\"data\":\"<base64>\"}}.");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(data.GetValue<string>());
        }
        catch (FormatException ex)
        {
            throw new FormatException($"Input for lane '{lane}': 'data' is not base64.", ex);
        }

        var metadata = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key is not ("data" or "mimeType" or "size"))
            {
                metadata[key] = value?.DeepClone();
            }
        }

        var mime = obj["mimeType"] is JsonValue m && m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() : "application/octet-stream";
        return new MediaPayload(mime, bytes, metadata);
    }

    private static TablePayload ReadTable(JsonNode? node)
    {
        if (node is not JsonObject obj || obj["columns"] is not JsonArray columns || obj["rows"] is not JsonArray rows)
        {
            throw new FormatException("Table input must be {\"columns\":[...],\"rows\":[[...]]}.");
        }

        var names = columns.Select(c => c?.ToString() ?? string.Empty).ToList();
        var data = rows.Select(r => (IReadOnlyList<string?>)((r as JsonArray) ?? throw new FormatException("Each table row must be an array."))
            .Select(c => c?.ToString())
            .ToList()).ToList();
        if (data.Any(r => r.Count != names.Count))
        {
            throw new FormatException("Every table row must have one cell per column.");
        }

        return new TablePayload(names, data);
    }
}
