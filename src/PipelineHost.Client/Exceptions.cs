namespace PipelineHost.Client;

/// <summary>The server refused a request; <see cref="Exception.Message"/> is the server's own message.</summary>
public class PipelineHostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PipelineHostException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public PipelineHostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public PipelineHostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed <paramref name="command"/>.</summary>
    public PipelineHostException(string message, string? command, Exception? innerException = null)
        : base(message, innerException)
    {
        Command = command;
    }

    /// <summary>The command that failed, e.g. <c>execute</c>; null when the failure is not tied to one.</summary>
    public string? Command { get; }
}

/// <summary>
/// The connection is gone (or never came up): the request may or may not have reached the server. Every request
/// in flight when the socket drops fails with this.
/// </summary>
public sealed class PipelineHostConnectionException : PipelineHostException
{
    /// <summary>Creates the exception.</summary>
    public PipelineHostConnectionException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public PipelineHostConnectionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public PipelineHostConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The server rejected the credential; the message says why (e.g. <c>Invalid API key</c>).</summary>
public sealed class PipelineHostAuthenticationException : PipelineHostException
{
    /// <summary>Creates the exception.</summary>
    public PipelineHostAuthenticationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public PipelineHostAuthenticationException(string message)
        : base(message, "auth")
    {
    }

    /// <summary>Creates the exception.</summary>
    public PipelineHostAuthenticationException(string message, Exception innerException)
        : base(message, "auth", innerException)
    {
    }
}
