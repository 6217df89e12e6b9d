namespace PipelineHost.Protocol.Json;

/// <summary>The envelope's property names and type tags, shared by every codec.</summary>
public static class EnvelopeNames
{
    /// <summary><c>type</c></summary>
    public const string Type = "type";
    /// <summary><c>seq</c></summary>
    public const string Seq = "seq";
    /// <summary><c>request_seq</c></summary>
    public const string RequestSeq = "request_seq";
    /// <summary><c>command</c></summary>
    public const string Command = "command";
    /// <summary><c>arguments</c></summary>
    public const string Arguments = "arguments";
    /// <summary><c>data</c>, the binary payload inside <c>arguments</c></summary>
    public const string Data = "data";
    /// <summary><c>success</c></summary>
    public const string Success = "success";
    /// <summary><c>message</c></summary>
    public const string Message = "message";
    /// <summary><c>body</c></summary>
    public const string Body = "body";
    /// <summary><c>event</c> (the property holding an event's name)</summary>
    public const string EventName = "event";
    /// <summary><c>id</c> (top-level, on task events)</summary>
    public const string Id = "id";
    /// <summary><c>token</c> (legacy root-level task token)</summary>
    public const string Token = "token";
    /// <summary>The <c>type</c> of a request.</summary>
    public const string Request = "request";
    /// <summary>The <c>type</c> of a response.</summary>
    public const string Response = "response";
    /// <summary>The <c>type</c> of an event.</summary>
    public const string Event = "event";
}
