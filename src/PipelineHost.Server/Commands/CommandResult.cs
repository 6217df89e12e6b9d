using System.Text.Json.Nodes;

namespace PipelineHost.Server.Commands;

/// <summary>What a command handler answers: a body (and bytes) on success, a message on failure.</summary>
public readonly record struct CommandResult(bool Success, JsonNode? Body, string? Message, ReadOnlyMemory<byte>? Data)
{
    /// <summary>Close the socket after sending this response (auth failures, as the reference does).</summary>
    public bool CloseConnection { get; init; }

    /// <summary>Success with an optional body and binary payload.</summary>
    public static CommandResult Ok(JsonNode? body = null, ReadOnlyMemory<byte>? data = null) => new(true, body, null, data);

    /// <summary>Failure with a message the client may see.</summary>
    public static CommandResult Fail(string message) => new(false, null, message, null);
}

/// <summary>A failure whose message is safe to show the client. Any other exception is reported generically.</summary>
public class CommandException(string message) : Exception(message);
