using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using PipelineHost.Engine.Security;
using PipelineHost.Protocol;
using PipelineHost.Server.Connections;

namespace PipelineHost.Server.Events;

/// <summary>
/// A subscriber that cannot hold a WebSocket: the same events, written as Server-Sent Events on an HTTP
/// response. Goes through the same outbox (bounded, coalescing) as a WebSocket connection.
/// </summary>
internal sealed class SseConnection : IClientConnection
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private readonly ConnectionOutbox _outbox;
    private readonly CancellationTokenSource _closed;
    private readonly List<Func<ValueTask>> _cleanups = [];

    public SseConnection(Caller caller, int maxQueuedEvents, DateTimeOffset now, CancellationToken requestAborted, EventDeliveryStats? stats = null)
    {
        Caller = caller;
        ConnectedAt = now;
        _closed = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        _outbox = new ConnectionOutbox(maxQueuedEvents, _ => _closed.Cancel(), stats);
    }

    public string Id { get; } = "sse-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    public Caller? Caller { get; }

    public string? ClientName => "SSE";

    public string? ClientVersion => null;

    public DateTimeOffset ConnectedAt { get; }

    public CancellationToken Closed => _closed.Token;

    public ConnectionSubscriptions Subscriptions { get; } = new();

    public bool SendEvent(EventMessage evt, string? coalesceKey = null) => _outbox.Send(evt, coalesceKey);

    public void OnClose(Func<ValueTask> cleanup) => _cleanups.Add(cleanup);

    /// <summary>Ends the stream once what is queued has been written.</summary>
    public void Complete() => _outbox.Close(WebSocketCloseStatus.NormalClosure, "done");

    /// <summary>Writes events to <paramref name="response"/> until completed or the client leaves.</summary>
    public async Task RunAsync(HttpResponse response)
    {
        using var keepAlive = new PeriodicTimer(KeepAlive);
        var pinger = PingAsync(response, keepAlive);
        var gate = new SemaphoreSlim(1, 1);
        try
        {
            await _outbox.RunAsync(
                async (message, ct) =>
                {
                    if (message is not EventMessage evt)
                    {
                        return;
                    }

                    // The id is the task's event number, so a reconnecting EventSource resumes with Last-Event-ID.
                    var id = evt.Body[EventHub.SeqField] is { } seq ? $"id: {seq.ToJsonString()}\n" : string.Empty;
                    var frame = $"{id}event: {evt.Event}\ndata: {evt.Body.ToJsonString()}\n\n";
                    await WriteAsync(response, gate, frame, ct).ConfigureAwait(false);
                },
                (_, _, _) => ValueTask.CompletedTask,
                _closed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
        finally
        {
            await _closed.CancelAsync().ConfigureAwait(false);
            await pinger.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            foreach (var cleanup in _cleanups)
            {
                await cleanup().ConfigureAwait(false);
            }

            _closed.Dispose();
        }
    }

    private async Task PingAsync(HttpResponse response, PeriodicTimer timer)
    {
        var gate = new SemaphoreSlim(1, 1);
        while (await timer.WaitForNextTickAsync(_closed.Token).ConfigureAwait(false))
        {
            await WriteAsync(response, gate, ": keep-alive\n\n", _closed.Token).ConfigureAwait(false);
        }
    }

    private static async Task WriteAsync(HttpResponse response, SemaphoreSlim gate, string text, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
