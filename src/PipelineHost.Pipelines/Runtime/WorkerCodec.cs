using PipelineHost.Protocol;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>
/// The encoding of the host ↔ worker channel. MessagePack: compact, and object bytes travel as <c>bin</c>
/// without any escaping. Both sides take it from here, so they cannot disagree.
/// </summary>
public static class WorkerCodec
{
    /// <summary>The codec both ends of the channel use.</summary>
    public static IMessageCodec Default => MessagePackMessageCodec.Instance;
}
