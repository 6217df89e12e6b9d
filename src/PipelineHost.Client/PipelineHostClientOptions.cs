namespace PipelineHost.Client;

/// <summary>The wire encoding a client asks for.</summary>
public enum MessageEncoding
{
    /// <summary>JSON text frames, exactly RocketRide's format. Every server speaks it.</summary>
    Json,

    /// <summary>
    /// MessagePack binary frames (subprotocol <c>pipelinehost.msgpack</c>): smaller, exact 64-bit integers, no
    /// payload split. A server that does not choose the subprotocol gets JSON instead.
    /// </summary>
    MessagePack,
}

/// <summary>How a <see cref="PipelineHostClient"/> connects and behaves.</summary>
public sealed record PipelineHostClientOptions
{
    /// <summary>The largest message the server is expected to send (RocketRide's 250 MiB).</summary>
    public const long DefaultMaxMessageSize = 250L * 1024 * 1024;

    /// <summary>Sent as <c>clientName</c> on <c>auth</c>; servers show it on their dashboards.</summary>
    public string ClientName { get; init; } = "PipelineHost C# SDK";

    /// <summary>Sent as <c>clientVersion</c> on <c>auth</c>.</summary>
    public string ClientVersion { get; init; } = typeof(PipelineHostClientOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The encoding to ask for.</summary>
    public MessageEncoding Encoding { get; init; } = MessageEncoding.Json;

    /// <summary>
    /// Reconnect by itself when the connection drops: after 250 ms, then 250 ms longer after each failure, at most
    /// 15 s apart, until it works or the server rejects the credential. Requests made meanwhile wait for the new
    /// connection; requests in flight at the drop fail with <see cref="PipelineHostConnectionException"/>.
    /// </summary>
    public bool AutoReconnect { get; init; }

    /// <summary>How long any one request may take; null (the default, as in the RocketRide SDKs) = no limit.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    /// <summary>The largest message accepted from the server; a larger one drops the connection.</summary>
    public long MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>The clock for reconnect delays and timeouts; tests pass a manual one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
