using System.Text.Json;
using System.Text.Json.Nodes;

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
    /// nested twice (the TypeScript SDK sends <c>arguments.pipeline.pipeline</c>). Returns a copy.
    /// </summary>
    /// <exception cref="FormatException">There is no pipeline object.</exception>
    public static JsonObject Unwrap(JsonNode? node)
    {
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

    /// <summary>Parses pipeline JSON text (a <c>.pipe</c> file).</summary>
    /// <exception cref="FormatException">The text is not a JSON pipeline.</exception>
    public static JsonObject Parse(string json)
    {
        try
        {
            return Unwrap(JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }));
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The pipeline is not valid JSON: {ex.Message}", ex);
        }
    }
}
