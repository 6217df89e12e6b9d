using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Protocol.Worker;

/// <summary>
/// The JSON documents the worker channel carries as UTF-8 bytes: those whose shape is the client's or a
/// component's (a pipeline, an object's metadata and result, an SSE or flow body), which the channel passes on
/// without knowing their fields.
/// </summary>
public static class WorkerJson
{
    /// <summary>The document as compact UTF-8 JSON.</summary>
    public static byte[] Encode(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a JSON object the other side sent.</summary>
    /// <exception cref="WorkerProtocolException">It is not one JSON object.</exception>
    public static JsonObject ParseObject(ReadOnlySpan<byte> json, string field)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new WorkerProtocolException($"'{field}' is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new WorkerProtocolException($"'{field}' is not JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Reads any JSON value the other side sent.</summary>
    /// <exception cref="WorkerProtocolException">It is not JSON.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> json, string field)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new WorkerProtocolException($"'{field}' is not JSON: {ex.Message}", ex);
        }
    }
}
