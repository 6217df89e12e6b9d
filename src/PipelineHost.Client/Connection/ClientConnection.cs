using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Framing;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;

namespace PipelineHost.Client;

/// <summary>
/// One WebSocket to the server: a single receive loop that completes pending requests by <c>request_seq</c> and
/// hands events on, and a write lock because a WebSocket allows one send at a time. When the socket ends, every
/// pending request fails with <see cref="PipelineHostConnectionException"/> and <see cref="Closed"/> completes.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly IMessageCodec _codec;
    private readonly Action<EventMessage> _onEvent;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ResponseMessage>> _pending = new();
    private readonly TaskCompletionSource<PipelineHostConnectionException> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopReading = new();
    private readonly Task _receiveLoop;
    private volatile PipelineHostConnectionException? _closeReason;
    private int _disposed;

    private ClientConnection(WebSocket socket, IMessageCodec codec, long maxMessageSize, Action<EventMessage> onEvent)
    {
        _socket = socket;
        _codec = codec;
        _onEvent = onEvent;
        _receiveLoop = Task.Run(() => ReceiveLoopAsync(maxMessageSize));
    }

    /// <summary>The encoding the server chose.</summary>
    public MessageEncoding Encoding => _codec.SubProtocol is null ? MessageEncoding.Json : MessageEncoding.MessagePack;

    /// <summary>Completes, with the reason, once the connection is gone.</summary>
    public Task<PipelineHostConnectionException> Closed => _closed.Task;

    public bool IsClosed => _closeReason is not null;

    /// <summary>Opens the socket and starts reading. Offering MessagePack falls back to JSON when the server does not choose it.</summary>
    public static async Task<ClientConnection> OpenAsync(Uri uri, PipelineHostClientOptions options, Action<EventMessage> onEvent, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = KeepAliveInterval;
        socket.Options.KeepAliveTimeout = KeepAliveTimeout;
        if (options.Encoding == MessageEncoding.MessagePack)
        {
            socket.Options.AddSubProtocol(MessagePackMessageCodec.SubProtocolName);
        }

        try
        {
            await socket.ConnectAsync(uri, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException)
        {
            socket.Dispose();
            throw new PipelineHostConnectionException($"Could not connect to {uri}: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var codec = string.Equals(socket.SubProtocol, MessagePackMessageCodec.SubProtocolName, StringComparison.OrdinalIgnoreCase)
            ? (IMessageCodec)MessagePackMessageCodec.Instance
            : JsonMessageCodec.Instance;
        return new ClientConnection(socket, codec, options.MaxMessageSize, onEvent);
    }

    /// <summary>Sends a request (its <c>seq</c> already set) and waits for its response.</summary>
    public async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var response = new TaskCompletionSource<ResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[request.Seq] = response;
        try
        {
            // Registered first, checked second: a close that slipped in between has either failed this entry or set
            // the reason we see here, so no request can wait forever on a dead socket.
            if (_closeReason is { } reason)
            {
                throw Copy(reason);
            }

            await WriteAsync(request, cancellationToken).ConfigureAwait(false);
            return await response.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(request.Seq, out _);
        }
    }

    private async Task WriteAsync(ProtocolMessage message, CancellationToken cancellationToken)
    {
        var frame = new ArrayBufferWriter<byte>();
        var binary = _codec.Encode(message, frame);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Not cancellable once started: cancelling a WebSocket send mid-frame aborts the whole socket, and one
            // caller giving up must not break every other request.
            await _socket.SendAsync(frame.WrittenMemory, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            var reason = _closeReason ?? new PipelineHostConnectionException($"The connection to the server was lost: {ex.Message}", ex);
            _socket.Abort();
            throw Copy(reason);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReceiveLoopAsync(long maxMessageSize)
    {
        var receiver = new WebSocketFrameReceiver(_socket, maxMessageSize);
        PipelineHostConnectionException reason;
        try
        {
            while (true)
            {
                var frame = await receiver.ReceiveAsync(_stopReading.Token).ConfigureAwait(false);
                if (frame is not { } received)
                {
                    reason = new PipelineHostConnectionException(ClosedByServer());
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    }

                    break;
                }

                ProtocolMessage message;
                try
                {
                    message = _codec.Decode(received.Payload.Span, received.Binary);
                }
                catch (ProtocolFormatException)
                {
                    // As both RocketRide SDKs do: a frame we cannot read is dropped, the connection goes on.
                    continue;
                }

                Dispatch(message);
            }
        }
        catch (OperationCanceledException) when (_stopReading.IsCancellationRequested)
        {
            reason = new PipelineHostConnectionException("The connection was closed by the client.");
        }
        catch (FrameTooLargeException ex)
        {
            _socket.Abort();
            reason = new PipelineHostConnectionException($"The server sent a message larger than {ex.Maximum} bytes; the connection was dropped.", ex);
        }
        catch (Exception ex)
        {
            // Whatever ended the loop, the connection is unusable: report it instead of leaving requests waiting.
            reason = new PipelineHostConnectionException($"The connection to the server was lost: {ex.Message}", ex);
        }

        Close(reason);
    }

    private string ClosedByServer() => _socket.CloseStatus is { } status
        ? $"The server closed the connection ({(int)status}{(string.IsNullOrEmpty(_socket.CloseStatusDescription) ? string.Empty : " " + _socket.CloseStatusDescription)})."
        : "The server closed the connection.";

    private void Dispatch(ProtocolMessage message)
    {
        switch (message)
        {
            case ResponseMessage response when response.RequestSeq is { } seq:
                if (_pending.TryRemove(seq, out var pending))
                {
                    pending.TrySetResult(response);
                }

                break;
            case EventMessage evt:
                try
                {
                    _onEvent(evt);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A consumer's fault must not end the receive loop for every other request.
                }

                break;
        }
    }

    private void Close(PipelineHostConnectionException reason)
    {
        _closeReason ??= reason;
        foreach (var seq in _pending.Keys)
        {
            if (_pending.TryRemove(seq, out var pending))
            {
                pending.TrySetException(Copy(_closeReason));
            }
        }

        _closed.TrySetResult(_closeReason);
    }

    // Each waiter gets its own exception object: one instance thrown on several threads gets its stack trace mangled.
    private static PipelineHostConnectionException Copy(PipelineHostConnectionException reason) =>
        reason.InnerException is { } inner ? new(reason.Message, inner) : new(reason.Message);

    /// <summary>Closes politely (close handshake, bounded), then for sure.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _closeReason ??= new PipelineHostConnectionException("The connection was closed by the client.");
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "Disconnected by request", CancellationToken.None)
                    .WaitAsync(CloseTimeout).ConfigureAwait(false);
                await _receiveLoop.WaitAsync(CloseTimeout).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or TimeoutException or ObjectDisposedException or InvalidOperationException)
            {
                // The peer did not answer the close: abort below.
            }
        }

        await _stopReading.CancelAsync().ConfigureAwait(false);
        _socket.Abort();
        await _receiveLoop.ConfigureAwait(false);
        Close(new PipelineHostConnectionException("The connection was closed by the client."));
        _socket.Dispose();
        _stopReading.Dispose();
    }
}
