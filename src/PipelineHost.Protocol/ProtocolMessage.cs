using System.Text.Json.Nodes;

namespace PipelineHost.Protocol;

/// <summary>A DAP-style message: a <see cref="RequestMessage"/>, <see cref="ResponseMessage"/> or <see cref="EventMessage"/>.</summary>
public abstract record ProtocolMessage
{
    /// <summary>The sender's per-connection sequence number. Senders assign it when the message goes on the wire.</summary>
    public long Seq { get; init; }
}

/// <summary>A request: <c>{type:"request", seq, command, arguments}</c>.</summary>
/// <param name="Command">The command name, e.g. <c>execute</c>.</param>
public sealed record RequestMessage(string Command) : ProtocolMessage
{
    /// <summary>The <c>arguments</c> object without <c>data</c>; null when the request had none.</summary>
    public JsonObject? Arguments { get; init; }

    /// <summary>The binary payload (<c>arguments.data</c>), carried outside the JSON header.</summary>
    public ReadOnlyMemory<byte>? Data { get; init; }

    /// <summary>A legacy root-level <c>token</c>; <c>arguments.token</c> wins when both are present.</summary>
    public string? RootToken { get; init; }
}

/// <summary>A response: <c>{type:"response", seq, request_seq, command, success, message?, body?}</c>.</summary>
/// <param name="RequestSeq">The <c>seq</c> of the request answered; null when the request had none.</param>
/// <param name="Command">The command answered.</param>
/// <param name="Success">False for every failure; the reason is in <see cref="Message"/>.</param>
public sealed record ResponseMessage(long? RequestSeq, string Command, bool Success) : ProtocolMessage
{
    /// <summary>The human-readable error text of a failed response.</summary>
    public string? Message { get; init; }

    /// <summary>The response body; omitted on the wire when null.</summary>
    public JsonNode? Body { get; init; }

    /// <summary>Bytes that travel as the binary tail of the frame and arrive as <c>arguments.data</c>.</summary>
    public ReadOnlyMemory<byte>? Data { get; init; }

    /// <summary>A successful response to <paramref name="request"/>.</summary>
    public static ResponseMessage Ok(RequestMessage request, JsonNode? body = null, ReadOnlyMemory<byte>? data = null) =>
        new(request.Seq, request.Command, true) { Body = body, Data = data };

    /// <summary>A failed response to <paramref name="request"/> carrying <paramref name="message"/>.</summary>
    public static ResponseMessage Fail(RequestMessage request, string message) =>
        new(request.Seq, request.Command, false) { Message = message };
}

/// <summary>An event: <c>{type:"event", seq, event, body}</c>; <paramref name="Body"/> always carries <c>__id</c>.</summary>
/// <param name="Event">The event name, e.g. <c>apaevt_status_update</c>.</param>
/// <param name="Body">The body, including its <c>__id</c>.</param>
public sealed record EventMessage(string Event, JsonObject Body) : ProtocolMessage
{
    /// <summary>A top-level <c>id</c> the SDKs' tests read on <c>apaevt_task</c> events; omitted when null.</summary>
    public string? Id { get; init; }

    /// <summary>Set by <see cref="WithSharedEncoding"/>: the body's encodings, shared by this event's copies.</summary>
    internal SharedEventEncoding? SharedEncoding { get; init; }

    /// <summary>
    /// This event, for delivery to many connections: its body is encoded once per codec, by whichever connection
    /// writes it first, and the others (copies made with their own <c>seq</c>) write those bytes. The body must not
    /// change afterwards.
    /// </summary>
    public EventMessage WithSharedEncoding() => this with { SharedEncoding = new SharedEventEncoding() };
}
