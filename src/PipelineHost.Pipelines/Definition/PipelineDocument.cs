using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Pipelines.Definition;

/// <summary>Reading pipeline JSON as clients send it.</summary>
public static class PipelineDocument
{
    /// <summary>Editor-only fields the server ignores.</summary>
    public static readonly IReadOnlySet<string> EditorFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "viewport", "docRevision", "isLocked", "snapToGrid", "snapGridSize", "editorMode",
    };

    /// <summary>
    /// The flat pipeline object inside <paramref name="node"/>: unwraps <c>{"pipeline":{…}}</c>, also when
    /// nested twice (the TypeScript SDK sends <c>arguments.pipeline.pipeline</c>). A string is the text of a
    /// <c>.pipe</c> file, read as JSON5 (<see cref="Parse"/>). Returns a copy.
    /// </summary>
    /// <exception cref="FormatException">There is no pipeline object, or the text is not JSON5.</exception>
    public static JsonObject Unwrap(JsonNode? node)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return Parse(value.GetValue<string>());
        }

        for (var depth = 0; depth < 3; depth++)
        {
            if (node is not JsonObject obj)
            {
                break;
            }

            if (obj["components"] is not null || obj["pipeline"] is not JsonObject inner)
            {
                return (JsonObject)obj.DeepClone();
            }

            node = inner;
        }

        throw new FormatException("A pipeline must be a JSON object with 'components'.");
    }

    /// <summary>
    /// Parses the text of a <c>.pipe</c> file as the RocketRide SDKs read it: JSON5 (comments, trailing commas,
    /// unquoted keys, single-quoted strings; see <see cref="Json5"/>).
    /// </summary>
    /// <exception cref="FormatException">The text is not a JSON5 pipeline; the message gives line and column.</exception>
    public static JsonObject Parse(string json)
    {
        JsonNode? node;
        try
        {
            node = Json5.Parse(json);
        }
        catch (Json5Exception ex)
        {
            throw new FormatException($"The pipeline is not valid JSON5: {ex.Message}", ex);
        }

        return node is JsonValue ? throw new FormatException("A pipeline must be a JSON object with 'components'.") : Unwrap(node);
    }
}
