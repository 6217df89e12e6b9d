using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Lanes;

/// <summary>
/// An image, audio or video item: its bytes, MIME type and what is known about it (for images <c>width</c> and
/// <c>height</c>; the name of the object or entry it came from). The <c>image</c>, <c>audio</c> and <c>video</c>
/// lanes.
/// </summary>
public sealed record MediaPayload(string MimeType, ReadOnlyMemory<byte> Bytes, JsonObject Metadata) : LanePayload
{
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
