using System.Text.Json.Nodes;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Pipelines.Components;

/// <summary>The wire form of an <see cref="ObjectResult"/>: the body of a pipe's <c>close</c> answer.</summary>
public static class ObjectResultJson
{
    /// <summary>
    /// Writes <c>result_types</c> and the fields into <paramref name="body"/>, and the child objects' own answers
    /// under <c>objects</c>; nothing when empty. Appended text goes out as a <see cref="Utf8String"/>, never built
    /// into one .NET string.
    /// </summary>
    /// <exception cref="ArgumentException">An appended text ends in half a surrogate pair.</exception>
    public static void WriteTo(this ObjectResult result, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(body);
        if (result.ObjectsSnapshot() is { } objects)
        {
            body["objects"] = objects;
        }

        var fields = result.Snapshot();
        if (fields.Count == 0)
        {
            return;
        }

        var types = new JsonObject();
        foreach (var (field, type, values, text) in fields)
        {
            types[field] = type;
            if (text is not null)
            {
                values.Add(new Utf8String(text).ToJsonValue());
            }

            body[field] = values;
        }

        body["result_types"] = types;
    }
}
