using System.Buffers;

namespace PipelineHost.Protocol;

/// <summary>
/// Turns one frame into one <see cref="ProtocolMessage"/> and back. Framing (WebSocket messages, length
/// prefixes) is the caller's job; a codec only sees whole frames.
/// </summary>
public interface IMessageCodec
{
    /// <summary>The WebSocket subprotocol that selects this codec, or null for the default (JSON).</summary>
    string? SubProtocol { get; }

    /// <summary>Decodes one whole frame.</summary>
    /// <param name="frame">The frame's bytes.</param>
    /// <param name="binaryFrame">True when the frame arrived as a binary WebSocket frame.</param>
    /// <exception cref="ProtocolFormatException">The frame is not a valid message.</exception>
    ProtocolMessage Decode(ReadOnlySpan<byte> frame, bool binaryFrame);

    /// <summary>Encodes one message into <paramref name="output"/>.</summary>
    /// <returns>True when the frame must be sent as a binary WebSocket frame, false for a text frame.</returns>
    bool Encode(ProtocolMessage message, IBufferWriter<byte> output);
}
