using System.Globalization;

namespace PipelineHost.Protocol.MessagePack;

/// <summary>
/// Malformed MessagePack input. The message always names the byte offset where the bad value starts, so a
/// peer's bug report can point at the exact byte of a captured frame.
/// </summary>
public sealed class MessagePackFormatException : FormatException
{
    /// <summary>Creates the exception; the message becomes <c>Invalid MessagePack at offset N: detail</c>.</summary>
    /// <param name="offset">The byte offset in the input where the offending value (or the missing one) starts.</param>
    /// <param name="detail">What is wrong, as a sentence.</param>
    public MessagePackFormatException(long offset, string detail)
        : base(string.Create(CultureInfo.InvariantCulture, $"Invalid MessagePack at offset {offset}: {detail}"))
    {
        Offset = offset;
        Detail = detail;
    }

    /// <summary>The byte offset in the input where the offending value starts.</summary>
    public long Offset { get; }

    /// <summary>The description of the problem, without the offset prefix.</summary>
    public string Detail { get; }
}
