using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Components;

/// <summary>
/// A source that produces its own objects (<see cref="SourceKind.Batch"/>). The runtime pushes each object
/// through the pipeline exactly as if a client had sent it, then the task completes.
/// </summary>
public interface IBatchSource : IComponent
{
    /// <summary>How many objects the source will produce, when it knows before it starts; else null.</summary>
    long? KnownTotal { get; }

    /// <summary>The objects, in order. Cancellation stops the enumeration.</summary>
    IAsyncEnumerable<SourceObject> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>One object produced by a batch source.</summary>
/// <param name="Name">The object's name (a relative path for files).</param>
/// <param name="MimeType">Its MIME type, lower-case, without parameters.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="OpenAsync">Opens the content for reading; the caller disposes the stream.</param>
public sealed record SourceObject(string Name, string MimeType, long Size, Func<CancellationToken, ValueTask<Stream>> OpenAsync)
{
    /// <summary>Extra object info, reported as the object's metadata.</summary>
    public JsonObject Metadata { get; init; } = [];
}
