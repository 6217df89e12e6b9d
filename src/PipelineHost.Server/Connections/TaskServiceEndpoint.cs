using System.Net;
using System.Security.Cryptography;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Protocol;
using PipelineHost.Server.Commands;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Connections;

/// <summary>The WebSocket endpoint <c>/task/service</c>.</summary>
internal static partial class TaskServiceEndpoint
{
    /// <summary>The path every RocketRide client connects to.</summary>
    public const string Path = "/task/service";

    public static IEndpointRouteBuilder MapTaskService(this IEndpointRouteBuilder endpoints)
    {
        // Any method: an HTTP/2 WebSocket arrives as CONNECT. The OpenAPI document describes it by hand (ApiDocumentation).
        endpoints.Map(Path, HandleAsync);
        return endpoints;
    }

    private static async Task HandleAsync(
        HttpContext context,
        UnauthenticatedConnectionLimiter limiter,
        ClientErrorLogLimiter logLimiter,
        Protocol.Framing.LargeMessageBuffers largeBuffers,
        CommandDispatcher dispatcher,
        ConnectionRegistry registry,
        MessageCodecs codecs,
        ServerOptions options,
        TimeProvider time,
        Events.EventHub hub,
        ILoggerFactory loggerFactory,
        IHostApplicationLifetime lifetime)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(
                new { status = "Error", error = new { message = $"{Path} speaks WebSocket: connect with a WebSocket client." } },
                context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var address = context.Connection.RemoteIpAddress ?? IPAddress.Loopback;
        if (!limiter.TryAcquire(address))
        {
            // Refused before the upgrade, as the reference does: the client sees a 403 handshake rejection.
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var codec = codecs.Select(context.WebSockets.WebSocketRequestedProtocols);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var logger = loggerFactory.CreateLogger("PipelineHost.Connection");
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["ConnectionId"] = id });
        DapConnection? connection = null;
        try
        {
            var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = codec.SubProtocol,
                KeepAliveInterval = options.KeepAliveInterval,
                KeepAliveTimeout = options.KeepAliveTimeout,
            }).ConfigureAwait(false);

            connection = new DapConnection(id, socket, address, codec, dispatcher, limiter, options, time, logger, logLimiter, largeBuffers, registry.Stats);
            registry.Add(connection);
            Log.Connected(logger, address.ToString(), codec.SubProtocol ?? "json");
            await connection.RunAsync(lifetime.ApplicationStopping).ConfigureAwait(false);
        }
        finally
        {
            if (connection?.Caller is null)
            {
                limiter.Release(address);
            }

            if (connection is not null)
            {
                registry.Remove(connection);
                if (connection.Caller is { IsTaskScoped: false } caller)
                {
                    hub.PublishDashboard("connection_removed", new System.Text.Json.Nodes.JsonObject
                    {
                        ["connectionId"] = connection.Id,
                        ["clientName"] = connection.ClientName,
                        ["clientVersion"] = connection.ClientVersion,
                    }, caller.UserId);
                }
            }

            Log.Disconnected(logger);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.ConnectionOpened, LogLevel.Debug, "Connection from {RemoteAddress} ({Encoding})")]
        public static partial void Connected(ILogger logger, string remoteAddress, string encoding);

        [LoggerMessage(LogEventIds.ConnectionClosed, LogLevel.Debug, "Connection closed")]
        public static partial void Disconnected(ILogger logger);
    }
}

/// <summary>The codecs the server speaks; a client picks one with a WebSocket subprotocol.</summary>
public sealed class MessageCodecs(IEnumerable<IMessageCodec> codecs)
{
    private readonly IMessageCodec[] _codecs = codecs.ToArray();

    /// <summary>The codec of the first requested subprotocol we know, else JSON.</summary>
    public IMessageCodec Select(IList<string> requested)
    {
        foreach (var name in requested)
        {
            foreach (var codec in _codecs)
            {
                if (codec.SubProtocol is not null && string.Equals(codec.SubProtocol, name, StringComparison.OrdinalIgnoreCase))
                {
                    return codec;
                }
            }
        }

        return _codecs.First(c => c.SubProtocol is null);
    }
}
