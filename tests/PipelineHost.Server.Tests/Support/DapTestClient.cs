using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Framing;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Server.Tests.Support;

/// <summary>A raw protocol client for tests: sends exact frames and sees every frame the server sends.</summary>
public sealed class DapTestClient : IAsyncDisposable
{
    private readonly WebSocket _socket;
    private readonly IMessageCodec _codec;
    private readonly List<ProtocolMessage> _seen = [];
    private readonly Task _reader;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private long _seq;

    public DapTestClient(WebSocket socket, IMessageCodec? codec = null)
    {
        _socket = socket;
        _codec = codec ?? JsonMessageCodec.Instance;
        _reader = Task.Run(ReadLoopAsync);
    }

    public WebSocket Socket => _socket;

    public List<string> RawTextFrames { get; } = [];

    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseDescription { get; private set; }

    public long NextSeq() => Interlocked.Increment(ref _seq);

    public async Task<ResponseMessage> RequestAsync(string command, JsonObject? arguments = null, byte[]? data = null)
    {
        var seq = await SendAsync(command, arguments, data);
        return await ResponseToAsync(seq);
    }

    public async Task<long> SendAsync(string command, JsonObject? arguments = null, byte[]? data = null)
    {
        var seq = NextSeq();
        var request = new RequestMessage(command) { Seq = seq, Arguments = arguments, Data = data };
        var bytes = new System.Buffers.ArrayBufferWriter<byte>();
        var binary = _codec.Encode(request, bytes);
        await SendFrameAsync(bytes.WrittenMemory, binary);
        return seq;
    }

    public Task SendTextAsync(string text) => SendFrameAsync(Encoding.UTF8.GetBytes(text), binary: false);

    public async Task SendFrameAsync(ReadOnlyMemory<byte> frame, bool binary)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(frame, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None)
                .AsTask().WaitAsync(TestTimeouts.Default);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task<ResponseMessage> ResponseToAsync(long seq) =>
        (ResponseMessage)await NextAsync(m => m is ResponseMessage r && r.RequestSeq == seq);

    public async Task<EventMessage> EventAsync(Func<EventMessage, bool>? predicate = null) =>
        (EventMessage)await NextAsync(m => m is EventMessage e && (predicate?.Invoke(e) ?? true));

    /// <summary>Every message seen so far, in arrival order.</summary>
    public IReadOnlyList<ProtocolMessage> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    /// <summary>
    /// Waits for the first message matching <paramref name="predicate"/> that no other waiter took, including
    /// ones that arrived before the call. Safe for many concurrent waiters.
    /// </summary>
    public async Task<ProtocolMessage> NextAsync(Func<ProtocolMessage, bool> predicate)
    {
        var waiter = (predicate, new TaskCompletionSource<ProtocolMessage>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_pending)
        {
            var index = _pending.FindIndex(m => predicate(m));
            if (index >= 0)
            {
                var found = _pending[index];
                _pending.RemoveAt(index);
                return found;
            }

            if (_closed)
            {
                throw new InvalidOperationException("The socket is closed.");
            }

            _waiters.Add(waiter);
        }

        return await waiter.Item2.Task.WaitAsync(TestTimeouts.Default);
    }

    private void Deliver(ProtocolMessage message)
    {
        lock (_pending)
        {
            var index = _waiters.FindIndex(w => w.Predicate(message));
            if (index >= 0)
            {
                var waiter = _waiters[index];
                _waiters.RemoveAt(index);
                waiter.Completion.TrySetResult(message);
                return;
            }

            _pending.Add(message);
        }
    }

    private void CloseWaiters()
    {
        lock (_pending)
        {
            _closed = true;
            foreach (var waiter in _waiters)
            {
                waiter.Completion.TrySetException(new InvalidOperationException("The socket closed before the message arrived."));
            }

            _waiters.Clear();
        }
    }

    private readonly List<ProtocolMessage> _pending = [];
    private readonly List<(Func<ProtocolMessage, bool> Predicate, TaskCompletionSource<ProtocolMessage> Completion)> _waiters = [];
    private bool _closed;

    /// <summary>Waits until the server closes the socket.</summary>
    public async Task WaitForCloseAsync()
    {
        await _reader.WaitAsync(TestTimeouts.Default);
    }

    private async Task ReadLoopAsync()
    {
        var receiver = new WebSocketFrameReceiver(_socket, 512L * 1024 * 1024);
        try
        {
            while (true)
            {
                var frame = await receiver.ReceiveAsync(CancellationToken.None);
                if (frame is not { } f)
                {
                    CloseStatus = _socket.CloseStatus;
                    CloseDescription = _socket.CloseStatusDescription;
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    }

                    break;
                }

                if (!f.Binary)
                {
                    RawTextFrames.Add(Encoding.UTF8.GetString(f.Payload.Span));
                }

                var message = _codec.Decode(f.Payload.Span, f.Binary);
                lock (_seen)
                {
                    _seen.Add(message);
                }

                Deliver(message);
            }
        }
        // IOException: TestHost's socket throws it when our close handshake crosses the server's (both ends closing at once).
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            CloseStatus = _socket.CloseStatus;
        }
        finally
        {
            CloseWaiters();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                // The read loop owns receiving; it completes the close handshake.
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            }

            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException or ObjectDisposedException or IOException)
        {
        }

        _socket.Dispose();
    }
}
