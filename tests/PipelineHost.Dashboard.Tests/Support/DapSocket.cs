using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace PipelineHost.Dashboard.Tests.Support;

/// <summary>A minimal WebSocket protocol client for test set-up: one request at a time, events skipped.</summary>
public sealed class DapSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private int _seq;

    private DapSocket()
    {
    }

    public static async Task<DapSocket> ConnectAsync(Uri baseAddress, string credential)
    {
        var client = new DapSocket();
        var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/task/service" }.Uri;
        await client._socket.ConnectAsync(uri, CancellationToken.None).WaitAsync(DashboardServer.Timeout);
        await client.RequestAsync("auth", new JsonObject { ["auth"] = credential });
        return client;
    }

    /// <summary>The response body; throws with the server's message when it failed.</summary>
    public async Task<JsonObject> RequestAsync(string command, JsonObject? arguments = null)
    {
        var seq = ++_seq;
        var request = new JsonObject { ["type"] = "request", ["seq"] = seq, ["command"] = command, ["arguments"] = arguments ?? [] };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(DashboardServer.Timeout);
        while (true)
        {
            var message = await ReceiveAsync(timeout.Token);
            if (message["type"]?.GetValue<string>() == "response" && message["request_seq"]?.GetValue<int>() == seq)
            {
                return message["success"]!.GetValue<bool>()
                    ? message["body"] as JsonObject ?? []
                    : throw new InvalidOperationException($"{command}: {message["message"]}");
            }
        }
    }

    private async Task<JsonObject> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(chunk, cancellationToken);
            buffer.Write(chunk, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonNode.Parse(buffer.ToArray())!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
        {
        }

        _socket.Dispose();
    }
}
