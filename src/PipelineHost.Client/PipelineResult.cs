using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Client;

/// <summary>What a pipeline returned for one object: the body of <c>rrext_process close</c> (PIPELINE_RESULT).</summary>
public sealed record PipelineResult
{
    /// <summary>The object's name (the one sent, or a UUID the server chose).</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The object's path (usually empty).</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>The server's id of the object.</summary>
    public string ObjectId { get; init; } = string.Empty;

    /// <summary>Result field → its type (<c>result_types</c>), e.g. <c>text → text</c>. Empty when the pipeline returned nothing.</summary>
    public IReadOnlyDictionary<string, string> ResultTypes { get; init; } = new Dictionary<string, string>();

    /// <summary>The pipeline's error for this object, when it marked the object failed.</summary>
    public JsonObject? Error { get; init; }

    /// <summary>The whole body as received.</summary>
    public JsonObject Raw { get; init; } = [];

    /// <summary>
    /// The text a lane returned, its entries joined in order; null when the result has no such field. Entries that
    /// are not strings are included as JSON.
    /// </summary>
    /// <param name="lane">The result field, <c>text</c> by default.</param>
    public string? GetText(string lane = "text")
    {
        switch (Raw[lane])
        {
            case null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return value.GetValue<string>();
            case JsonArray array:
                var text = new StringBuilder();
                foreach (var item in array)
                {
                    text.Append(item is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : item?.ToJsonString());
                }

                return text.ToString();
            case var other:
                return other.ToJsonString();
        }
    }

    /// <summary>Reads a PIPELINE_RESULT object.</summary>
    public static PipelineResult FromJson(JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (field, type) in JsonFields.Object(body, "result_types") ?? [])
        {
            types[field] = type is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : type?.ToJsonString() ?? string.Empty;
        }

        return new PipelineResult
        {
            Name = JsonFields.StringOrEmpty(body, "name"),
            Path = JsonFields.StringOrEmpty(body, "path"),
            ObjectId = JsonFields.StringOrEmpty(body, "objectId"),
            ResultTypes = types,
            Error = JsonFields.Object(body, "error"),
            Raw = body,
        };
    }
}
