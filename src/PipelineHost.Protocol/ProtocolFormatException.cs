namespace PipelineHost.Protocol;

/// <summary>A frame that is not a valid message. Carries what could be recovered so the receiver can still answer.</summary>
public sealed class ProtocolFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public ProtocolFormatException(string message, long? seq = null, string? command = null, Exception? inner = null)
        : base(message, inner)
    {
        Seq = seq;
        Command = command;
    }

    /// <summary>The request's <c>seq</c>, when it could be read.</summary>
    public long? Seq { get; }

    /// <summary>The request's <c>command</c>, when it could be read.</summary>
    public string? Command { get; }
}
