using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using PipelineHost.Protocol.Framing;

namespace PipelineHost.Protocol.Tests.Framing;

/// <summary>The receiver over a real WebSocket pair: small messages fit its own buffer, larger ones continue in a rented one.</summary>
public sealed class WebSocketFrameReceiverTests : IAsyncLifetime
{
    private TcpListener _listener = null!;
    private TcpClient _client = null!;
    private TcpClient _server = null!;
    private WebSocket _sender = null!;
    private WebSocket _receiver = null!;

    public async Task InitializeAsync()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _client = new TcpClient();
        await _client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)_listener.LocalEndpoint).Port);
        _server = await _listener.AcceptTcpClientAsync();
        _sender = WebSocket.CreateFromStream(_client.GetStream(), new WebSocketCreationOptions { IsServer = false });
        _receiver = WebSocket.CreateFromStream(_server.GetStream(), new WebSocketCreationOptions { IsServer = true });
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(10, false)]
    [InlineData(256, true)]
    [InlineData(257, false)]
    [InlineData(20_000, true)]
    [InlineData(300_000, false)]
    public async Task Messages_of_any_size_come_out_whole_text_and_binary_alike(int size, bool binary)
    {
        var receiver = new WebSocketFrameReceiver(_receiver, 1 << 20);
        var first = Bytes(size, 1);
        var second = Bytes(size / 2 + 3, 2);

        // Each message sent in fragments of 1,000 bytes; the second right behind the first.
        var sending = Task.Run(async () =>
        {
            await SendAsync(first, binary);
            await SendAsync(second, !binary);
        });
        var a = await receiver.ReceiveAsync(CancellationToken.None);
        Assert.Equal(first, a!.Value.Payload.ToArray());
        Assert.Equal(binary, a.Value.Binary);
        var b = await receiver.ReceiveAsync(CancellationToken.None);

        await sending;

        Assert.Equal(second, b!.Value.Payload.ToArray());
        Assert.Equal(!binary, b.Value.Binary);
    }

    [Fact]
    public async Task A_message_above_the_maximum_is_refused_and_a_close_ends_the_stream()
    {
        var receiver = new WebSocketFrameReceiver(_receiver, 4096);
        await SendAsync(Bytes(5000, 3), binary: false);

        await Assert.ThrowsAsync<FrameTooLargeException>(() => receiver.ReceiveAsync(CancellationToken.None).AsTask());

        var other = new WebSocketFrameReceiver(_sender, 4096);
        await _receiver.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        Assert.Null(await other.ReceiveAsync(CancellationToken.None));
    }

    private async Task SendAsync(byte[] message, bool binary)
    {
        var type = binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
        if (message.Length == 0)
        {
            await _sender.SendAsync(message, type, true, CancellationToken.None);
            return;
        }

        for (var at = 0; at < message.Length; at += 1000)
        {
            var end = Math.Min(at + 1000, message.Length);
            await _sender.SendAsync(message.AsMemory(at, end - at), type, end == message.Length, CancellationToken.None);
        }
    }

    private static byte[] Bytes(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)('a' + ((i * 7 + seed) % 26))).ToArray();

    public Task DisposeAsync()
    {
        _sender.Dispose();
        _receiver.Dispose();
        _client.Dispose();
        _server.Dispose();
        _listener.Stop();
        return Task.CompletedTask;
    }
}
