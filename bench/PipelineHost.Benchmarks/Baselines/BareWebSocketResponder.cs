using System.Net.WebSockets;

namespace PipelineHost.Benchmarks.Baselines;

/// <summary>
/// The round-trip baseline: accepts /task/service and answers every frame with one fixed, pre-encoded response
/// (the subject's own response bytes, so the sizes match). A text frame holding one of <see cref="ByMarker"/>'s
/// markers gets that marker's response instead (the data path's open and close). No parsing, no dispatch.
/// </summary>
public sealed class BareWebSocketResponder : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareWebSocketResponder(WebApplication app, Uri address)
    {
        _app = app;
        WebSocketUri = new UriBuilder(address) { Scheme = "ws", Path = "/task/service" }.Uri;
    }

    public Uri WebSocketUri { get; }

    /// <summary>The frame sent in answer to every frame; may be swapped between runs.</summary>
    public byte[] Response { get; set; } = "{}"u8.ToArray();

    /// <summary>Text frames containing a marker are answered with its response; may be swapped between runs.</summary>
    public IReadOnlyList<(byte[] Marker, byte[] Response)> ByMarker { get; set; } = [];

    public static async Task<BareWebSocketResponder> StartAsync()
    {
        BareWebSocketResponder? self = null;
        var (app, address) = await BareKestrel.StartAsync(app =>
        {
            app.UseWebSockets();
            app.Map("/task/service", async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                await self!.AnswerAsync(socket, context.RequestAborted);
            });
        });
        self = new BareWebSocketResponder(app, address);
        return self;
    }

    private async Task AnswerAsync(WebSocket socket, CancellationToken cancel)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var first = true;
            byte[]? answer = null;
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), cancel);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancel);
                    return;
                }

                if (first)
                {
                    answer = Response;
                    if (result.MessageType == WebSocketMessageType.Text)
                    {
                        foreach (var (marker, response) in ByMarker)
                        {
                            if (buffer.AsSpan(0, result.Count).IndexOf(marker) >= 0)
                            {
                                answer = response;
                                break;
                            }
                        }
                    }
                }

                first = result.EndOfMessage;
                if (result.EndOfMessage)
                    await socket.SendAsync(answer!.AsMemory(), WebSocketMessageType.Text, true, cancel);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
