using PipelineHost.Protocol;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>
/// The encoding of the host ↔ worker channel. MessagePack: compact, and object bytes travel as <c>bin</c>
/// without any escaping. Both sides take it from here, so they cannot disagree.
/// </summary>
public static class WorkerCodec
{
    // Strings this long come from the worker only as an object's text (a close answer, an SSE text item), which
    // the host passes on and never reads.
    private const int HostUtf8StringsFrom = 64 * 1024;

    private static readonly MessagePackMessageCodec HostCodec = new(HostUtf8StringsFrom);

    /// <summary>The codec both ends of the channel use.</summary>
    public static IMessageCodec Default => MessagePackMessageCodec.Instance;

    /// <summary>
    /// The host's end: the same encoding as <see cref="Default"/>, but a string of 64 KiB or more decodes as a
    /// <see cref="Protocol.Json.Utf8String"/>, so the object's text in a <c>close</c> answer goes on to the client
    /// without being turned into a .NET string (twice its size) and back.
    /// </summary>
    public static IMessageCodec Host => HostCodec;
}
