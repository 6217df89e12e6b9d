using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Security;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Framing;
using PipelineHost.Server.Commands;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Connections;

/// <summary>
/// One client on <c>/task/service</c>: reads frames, enforces the authentication gate, runs each request
/// concurrently (clients pipeline requests and match answers by <c>request_seq</c>) and answers every request
/// exactly once through the connection's <see cref="ConnectionOutbox"/>.
/// </summary>
internal sealed partial class DapConnection : IClientConnection
{
    private const string NotAuthenticated = "Not authenticated";
    private const string MalformedBeforeAuth = "Malformed message before authentication";

    private readonly WebSocket _socket;
    private readonly IMessageCodec _codec;
    private readonly CommandDispatcher _dispatcher;
    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private readonly ClientErrorLogLimiter _logLimiter;
    private readonly LargeMessageBuffers? _largeBuffers;
    private readonly ConnectionOutbox _outbox;
    private readonly CancellationTokenSource _closed = new();
    private readonly SemaphoreSlim _inFlight;
    private readonly List<Func<ValueTask>> _cleanups = [];
    private readonly Lock _cleanupLock = new();
    private int _closing;

    public DapConnection(
        string id,
        WebSocket socket,
        IPAddress remoteAddress,
        IMessageCodec codec,
        CommandDispatcher dispatcher,
        UnauthenticatedConnectionLimiter limiter,
        ServerOptions options,
        TimeProvider time,
        ILogger logger,
        ClientErrorLogLimiter logLimiter,
        LargeMessageBuffers? largeBuffers = null,
        EventDeliveryStats? stats = null)
    {
        _logLimiter = logLimiter;
        _largeBuffers = largeBuffers;
        Id = id;
        _socket = socket;
        _codec = codec;
        _dispatcher = dispatcher;
        _options = options;
        _logger = logger;
        RemoteAddress = remoteAddress;
        ConnectedAt = time.GetUtcNow();
        _inFlight = new SemaphoreSlim(options.MaxInFlightPerConnection);
        _outbox = new ConnectionOutbox(options.MaxQueuedEvents, reason =>
        {
            Log.ConnectionTooSlow(_logger, reason);
            BeginClose(WebSocketCloseStatus.PolicyViolation, reason);
        }, stats);
        Session = new ConnectionSession(
            onSignedIn: () => limiter.Release(remoteAddress),
            onSignedOut: () => limiter.Acquire(remoteAddress));
    }

    public string Id { get; }

    public IPAddress RemoteAddress { get; }

    public ConnectionSession Session { get; }

    public Caller? Caller => Session.Caller;

    public string? ClientName => Session.ClientName;

    public string? ClientVersion => Session.ClientVersion;

    public DateTimeOffset ConnectedAt { get; }

    public Events.ConnectionSubscriptions Subscriptions { get; } = new();

    public CancellationToken Closed => _closed.Token;

    public bool SendEvent(EventMessage evt, string? coalesceKey = null) => _outbox.Send(evt, coalesceKey);

    public void OnClose(Func<ValueTask> cleanup)
    {
        lock (_cleanupLock)
        {
            _cleanups.Add(cleanup);
        }
    }

    /// <summary>Runs the connection until the client leaves or the server closes it.</summary>
    public async Task RunAsync(CancellationToken shutdown)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, _closed.Token);
        var writer = _outbox.RunAsync(_socket, _codec, shutdown);
        var handlers = new List<Task>();
        try
        {
            try
            {
                await ReceiveLoopAsync(handlers, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                // Closing: nothing more to read.
            }
            catch (WebSocketException ex)
            {
                Log.SocketError(_logger, ex.WebSocketErrorCode.ToString(), ex);
            }
            catch (FrameTooLargeException ex)
            {
                LogClientError(s => Log.MessageTooLarge(_logger, ex.Maximum, s));
                BeginClose(WebSocketCloseStatus.MessageTooBig, "message too large");
            }

            // Drain: requests already being handled still get their answer before the socket closes.
            lock (handlers)
            {
                handlers.RemoveAll(t => t.IsCompleted);
            }

            await Task.WhenAll(handlers.ToArray()).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await _closed.CancelAsync().ConfigureAwait(false);
            BeginClose(WebSocketCloseStatus.NormalClosure, "closing");
            await writer.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            // Whatever ended the connection (an exception included), its pipes and store handles go now, not at a
            // timeout or a garbage collection.
            await _closed.CancelAsync().ConfigureAwait(false);
            await RunCleanupsAsync().ConfigureAwait(false);
        }
    }

    private async Task ReceiveLoopAsync(List<Task> handlers, CancellationToken cancellationToken)
    {
        var receiver = new WebSocketFrameReceiver(_socket, _options.MaxMessageSize, _largeBuffers);
        while (Volatile.Read(ref _closing) == 0)
        {
            // Until auth succeeds only small messages are read: a stranger cannot make the server buffer megabytes.
            receiver.MaxMessageSize = Caller is null ? Math.Min(_options.PreAuthMaxMessageBytes, _options.MaxMessageSize) : _options.MaxMessageSize;
            var frame = await receiver.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (frame is not { } received)
            {
                return;
            }

            ProtocolMessage message;
            try
            {
                message = _codec.Decode(received.Payload.Span, received.Binary);
            }
            catch (ProtocolFormatException ex)
            {
                OnMalformedFrame(ex);
                continue;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or OverflowException)
            {
                // A codec's own bug or an input it did not foresee: still a bad frame, never the end of the connection.
                OnMalformedFrame(new ProtocolFormatException("The message could not be decoded.", inner: ex));
                continue;
            }

            if (message is not RequestMessage request)
            {
                if (Caller is null)
                {
                    Reject(new ResponseMessage(null, string.Empty, false) { Message = NotAuthenticated });
                    return;
                }

                Log.IgnoredMessage(_logger, message.GetType().Name);
                continue;
            }

            if (Caller is null && !_dispatcher.IsAnonymous(request.Command))
            {
                Reject(ResponseMessage.Fail(request, NotAuthenticated));
                return;
            }

            if (_dispatcher.IsSessionCommand(request.Command) || _dispatcher.IsImmediate(request.Command))
            {
                // auth/deauth change what later frames may do, so they finish before the next frame is read;
                // immediate commands answer from memory, quicker than a hand-off to another thread.
                await HandleAsync(request, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            var task = HandleAndReleaseAsync(request, cancellationToken);
            lock (handlers)
            {
                handlers.RemoveAll(t => t.IsCompleted);
                handlers.Add(task);
            }
        }
    }

    private async Task HandleAndReleaseAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await HandleAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private async Task HandleAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await _dispatcher.DispatchAsync(new CommandContext(this, request), cancellationToken).ConfigureAwait(false);
        var response = result.Success
            ? ResponseMessage.Ok(request, result.Body, result.Data)
            : ResponseMessage.Fail(request, result.Message ?? "Request failed");
        _outbox.Send(response);
        Log.CommandHandled(_logger, request.Command, result.Success, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (result.CloseConnection)
        {
            BeginClose(WebSocketCloseStatus.NormalClosure, result.Message ?? "closing");
        }
    }

    /// <summary>
    /// Answers a frame that is not a valid message. After auth the answer names the problem (with a null
    /// <c>request_seq</c> when no <c>seq</c> could be read) and the connection stays usable; before auth the frame
    /// closes the connection (policy violation), so a stranger cannot keep a socket busy with garbage.
    /// </summary>
    private void OnMalformedFrame(ProtocolFormatException ex)
    {
        LogClientError(s => Log.MalformedFrame(_logger, ex.Message, s));
        _outbox.Send(new ResponseMessage(ex.Seq, ex.Command ?? string.Empty, false) { Message = ex.Message });
        if (Caller is null)
        {
            BeginClose(WebSocketCloseStatus.PolicyViolation, MalformedBeforeAuth);
        }
    }

    private void LogClientError(Action<long> log)
    {
        if (_logLimiter.TryAcquire(out var suppressed))
        {
            log(suppressed);
        }
    }

    private void Reject(ResponseMessage response)
    {
        _outbox.Send(response);
        BeginClose(WebSocketCloseStatus.NormalClosure, NotAuthenticated);
    }

    private void BeginClose(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            _outbox.Close(status, reason);
        }
    }

    private async Task RunCleanupsAsync()
    {
        Func<ValueTask>[] cleanups;
        lock (_cleanupLock)
        {
            cleanups = [.. _cleanups];
            _cleanups.Clear();
        }

        foreach (var cleanup in cleanups)
        {
            try
            {
                await cleanup().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.CleanupFailed(_logger, ex);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.CommandHandled, LogLevel.Debug, "Handled {Command} (success {Success}) in {DurationMs:F2} ms")]
        public static partial void CommandHandled(ILogger logger, string command, bool success, double durationMs);

        [LoggerMessage(LogEventIds.MalformedFrame, LogLevel.Warning, "Malformed frame: {Reason} ({SuppressedCount} similar lines suppressed before)")]
        public static partial void MalformedFrame(ILogger logger, string reason, long suppressedCount);

        [LoggerMessage(LogEventIds.IgnoredMessage, LogLevel.Debug, "Ignored a {MessageType} from the client")]
        public static partial void IgnoredMessage(ILogger logger, string messageType);

        [LoggerMessage(LogEventIds.ConnectionTooSlow, LogLevel.Warning, "Closing a connection that fell behind: {Reason}")]
        public static partial void ConnectionTooSlow(ILogger logger, string reason);

        [LoggerMessage(LogEventIds.SocketError, LogLevel.Information, "Socket error {Code}")]
        public static partial void SocketError(ILogger logger, string code, Exception exception);

        [LoggerMessage(LogEventIds.MessageTooLarge, LogLevel.Warning, "Message larger than {Maximum} bytes; closing ({SuppressedCount} similar lines suppressed before)")]
        public static partial void MessageTooLarge(ILogger logger, long maximum, long suppressedCount);

        [LoggerMessage(LogEventIds.ConnectionCleanupFailed, LogLevel.Warning, "Connection cleanup failed")]
        public static partial void CleanupFailed(ILogger logger, Exception exception);
    }
}
