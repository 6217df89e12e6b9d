using System.Net;
using System.Net.Sockets;

namespace PipelineHost.Client.Tests.Support;

/// <summary>
/// A loopback TCP relay in front of the server. <see cref="DropAll"/> cuts every relayed connection at once, which
/// is what a network failure looks like to the client, while the server stays up for it to reconnect to.
/// </summary>
public sealed class DroppableTcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly List<(TcpClient Client, TcpClient Server)> _connections = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _accepted;
    private volatile TaskCompletionSource _open = Opened();

    public DroppableTcpRelay(int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    public Uri Uri => new($"ws://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Connections accepted so far (the first connect counts as one).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>New connections wait (accepted, not yet relayed) until <see cref="Release"/>: a network that is down for a while.</summary>
    public void Hold() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Relays the connections held since <see cref="Hold"/>, and new ones at once again.</summary>
    public void Release() => _open.TrySetResult();

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    /// <summary>Resets every relayed connection in both directions.</summary>
    public void DropAll()
    {
        lock (_connections)
        {
            foreach (var (client, server) in _connections)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                server.Dispose();
            }

            _connections.Clear();
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                await _open.Task.WaitAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(_target, _stop.Token);
                lock (_connections)
                {
                    _connections.Add((client, server));
                }

                Interlocked.Increment(ref _accepted);
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            int read;
            while ((read = await input.ReadAsync(buffer, _stop.Token)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }

            to.Client.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        DropAll();
        await _accepting;
        _stop.Dispose();
    }
}
