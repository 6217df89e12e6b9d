using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace PipelineHost.Benchmarks.Baselines;

/// <summary>
/// The fan-out baseline: a bare Kestrel that accepts WebSockets on /task/service and, when told, sends the same
/// pre-encoded frame to every one of them: once (latency) or over and over for a while (throughput). No
/// subscriptions, no queues, no encoding.
/// </summary>
public sealed class BareBroadcaster : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<WebSocket, byte> _sockets = new();

    private BareBroadcaster(WebApplication app, Uri address)
    {
        _app = app;
        WebSocketUri = new UriBuilder(address) { Scheme = "ws", Path = "/task/service" }.Uri;
    }

    public Uri WebSocketUri { get; }

    public int Count => _sockets.Count;

    public static async Task<BareBroadcaster> StartAsync()
    {
        BareBroadcaster? self = null;
        var (app, address) = await BareKestrel.StartAsync(app =>
        {
            app.UseWebSockets();
            app.Map("/task/service", async context =>
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                self!._sockets.TryAdd(socket, 0);
                try
                {
                    // Reads only to notice the close; the clients send nothing.
                    var buffer = new byte[256];
                    while ((await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted)).MessageType != WebSocketMessageType.Close)
                    {
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                }
                finally
                {
                    self._sockets.TryRemove(socket, out _);
                }
            });
        });
        self = new BareBroadcaster(app, address);
        return self;
    }

    /// <summary>Sends <paramref name="frame"/> once to every connection.</summary>
    public Task BroadcastAsync(byte[] frame) =>
        Task.WhenAll(_sockets.Keys.Select(socket => SendAsync(socket, frame).AsTask()));

    /// <summary>Closes every connection (the clients see a close).</summary>
    public Task CloseAllAsync() =>
        Task.WhenAll(_sockets.Keys.Select(async socket =>
        {
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
            {
            }
        }));

    /// <summary>Sends <paramref name="frame"/> to every connection, each as fast as it takes them, for <paramref name="duration"/>.</summary>
    public Task FloodAsync(byte[] frame, TimeSpan duration)
    {
        var until = DateTime.UtcNow + duration;
        return Task.WhenAll(_sockets.Keys.Select(async socket =>
        {
            while (DateTime.UtcNow < until && await SendAsync(socket, frame))
            {
            }
        }));
    }

    private static async ValueTask<bool> SendAsync(WebSocket socket, byte[] frame)
    {
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
