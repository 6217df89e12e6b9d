using System.Collections.Concurrent;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Worker;

/// <summary>
/// The worker's end of the channel (protocol-spec/worker-ipc.md), and the one place that owns its rules here:
/// each request answered once with its <c>Seq</c> (an unanswered write never), a pipe's writes and close handled in
/// the order they arrived while other requests and other pipes run concurrently, and what a message the host may
/// not send means (the channel is over).
/// </summary>
internal sealed class HostChannel(Stream input, Stream output) : IDisposable
{
    private readonly WorkerMessageReader _reader = new(input);
    private readonly WorkerMessageWriter _writer = new(output);
    private readonly ConcurrentDictionary<int, Task> _pipeTails = new();

    /// <summary>
    /// Reads the host's requests and hands each to <paramref name="handle"/>, whose reply (a failure when it throws
    /// <see cref="WorkerException"/>; none when it returns null) goes back with the request's <c>Seq</c>. Every
    /// handler's task goes to <paramref name="track"/>.
    /// </summary>
    /// <returns>Null when the host closed the channel or <paramref name="cancellationToken"/> fired; otherwise why the channel failed.</returns>
    public async Task<string?> ServeAsync(Func<WorkerRequest, Task<WorkerReply?>> handle, Action<Task> track, CancellationToken cancellationToken)
    {
        try
        {
            while (await _reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } message)
            {
                if (message is not WorkerRequest request)
                {
                    return $"the host sent a {message.GetType().Name}, which only the worker sends";
                }

                track(request switch
                {
                    WritePipe write => InOrder(write.PipeId, () => AnswerAsync(request, handle), closes: false),
                    ClosePipe close => InOrder(close.PipeId, () => AnswerAsync(request, handle), closes: true),
                    _ => AnswerAsync(request, handle),
                });
            }

            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception ex) when (ex is WorkerProtocolException or IOException or EndOfStreamException)
        {
            return ex.Message;
        }
    }

    /// <summary>Sends a message now, in order with every other send; a host that is gone is not an error here
    /// (the read loop notices and ends the session).</summary>
    public async Task SendAsync(WorkerMessage message)
    {
        try
        {
            await _writer.WriteAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Sends an event without waiting for it to be written; events keep the order of their calls.</summary>
    public void Post(WorkerEvent message) => _ = SendAsync(message);

    private async Task AnswerAsync(WorkerRequest request, Func<WorkerRequest, Task<WorkerReply?>> handle)
    {
        await Task.Yield();
        WorkerReply? reply;
        try
        {
            reply = await handle(request).ConfigureAwait(false);
        }
        catch (WorkerException ex)
        {
            reply = new RequestFailed(request.Seq, ex.Message);
        }
        catch (OperationCanceledException)
        {
            reply = new RequestFailed(request.Seq, "The task is stopping");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"worker: {request.GetType().Name} failed: {ex}").ConfigureAwait(false);
            reply = new RequestFailed(request.Seq, ex.Message);
        }

        if (reply is null || request is WritePipe { Answer: false })
        {
            return; // a failed unanswered write stays on its pipe for the next answered write or the close
        }

        await SendAsync(reply).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/> after everything queued before it on the pipe. Called from the read loop only.</summary>
    private Task InOrder(int pipeId, Func<Task> work, bool closes)
    {
        var previous = _pipeTails.TryGetValue(pipeId, out var tail) ? tail : Task.CompletedTask;
        var next = previous.ContinueWith(_ => work(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        _pipeTails[pipeId] = next;
        if (closes)
        {
            // The pipe's last request: forget its chain once done, unless a reuse of the id has queued behind it.
            _ = next.ContinueWith(
                done => _pipeTails.TryRemove(new KeyValuePair<int, Task>(pipeId, done)),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return next;
    }

    public void Dispose() => _writer.Dispose();
}
