using System.Collections.Concurrent;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Engine.Workers;

/// <summary>
/// The host's end of one worker's channel (protocol-spec/worker-ipc.md), and the one place that owns its rules:
/// request numbering and correlation, each pipe's write order and write window, and what a message the worker may
/// not send means (a broken worker: <see cref="Violated"/> is raised and nothing more is read).
/// </summary>
internal sealed class WorkerChannel : IDisposable
{
    /// <summary>Every how many writes of a pipe one asks the worker for an answer (each is a frame both ways).</summary>
    public const int AnswerEvery = 4;

    /// <summary>
    /// Answered writes of one pipe that may be outstanding: enough to keep the worker busy while the client sends
    /// the next chunks, few enough (16 chunks) to bound what waits in the worker.
    /// </summary>
    public const int MaxUnansweredWrites = 4;

    private readonly WorkerMessageWriter _writer;
    private readonly WorkerMessageReader _reader;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<WorkerReply>> _pending = new();
    private readonly ConcurrentDictionary<int, PipeWindow> _pipes = new();
    private readonly TimeProvider _time;
    private readonly Action<WorkerEvent> _onEvent;
    private long _seq;
    private long _lastHeard;
    private int _gone;

    public WorkerChannel(Stream toWorker, Stream fromWorker, Action<WorkerEvent> onEvent, TimeProvider time)
    {
        _writer = new WorkerMessageWriter(toWorker);
        _reader = new WorkerMessageReader(fromWorker);
        _onEvent = onEvent;
        _time = time;
        _lastHeard = time.GetTimestamp();
    }

    /// <summary>The worker sent what the contract does not allow; the argument says what. Raised at most once.</summary>
    public event Action<string>? Violated;

    /// <summary>What the worker did wrong, once it did; null while it keeps to the contract.</summary>
    public string? Violation { get; private set; }

    /// <summary>Where the bytes of the worker's answers are counted (as data out); none when null.</summary>
    public Diagnostics.PipelineHostMetrics? Metrics { get; set; }

    /// <summary>The <see cref="Clock"/> timestamp of the last frame the worker sent (its start, before any).</summary>
    public long LastHeard => Interlocked.Read(ref _lastHeard);

    /// <summary>The clock of <see cref="LastHeard"/>.</summary>
    public TimeProvider Clock => _time;

    /// <summary>Counts the worker's silence from now: its task starts (a pool worker may have waited long, silent).</summary>
    public void RestartSilenceClock() => Interlocked.Exchange(ref _lastHeard, _time.GetTimestamp());

    /// <summary>Reads until the worker's output ends, the channel breaks or the worker breaks the contract.</summary>
    /// <returns>A line for the task's output when the channel ended in error; null at a clean end.</returns>
    public async Task<string?> ReadAllAsync()
    {
        try
        {
            while (await _reader.ReadAsync(CancellationToken.None).ConfigureAwait(false) is { } message)
            {
                Interlocked.Exchange(ref _lastHeard, _time.GetTimestamp());
                if (Dispatch(message) is { } violation)
                {
                    Violate(violation);
                    return $"worker channel error: {violation}";
                }
            }

            return null;
        }
        catch (WorkerProtocolException ex)
        {
            Violate(ex.Message);
            return $"worker channel error: {ex.Message}";
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException)
        {
            return $"worker channel error: {ex.Message}";
        }
    }

    /// <summary>Sends <paramref name="build"/>'s request (numbered here) and waits for its reply.</summary>
    /// <exception cref="WorkerGoneException">The worker exited, or broke the contract, before answering.</exception>
    /// <exception cref="WorkerRequestFailedException">The worker answered with a failure.</exception>
    public async Task<TReply> RequestAsync<TReply>(Func<long, WorkerRequest> build, CancellationToken cancellationToken)
        where TReply : WorkerReply
    {
        var answer = await PostAsync(build, expectAnswer: true, cancellationToken).ConfigureAwait(false);
        return Expect<TReply>(await answer!.WaitAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Opens a pipe for one object; returns its id.</summary>
    public async Task<int> OpenAsync(byte[] objectJson, string? mimeType, string? traceParent, CancellationToken cancellationToken)
    {
        var opened = await RequestAsync<PipeOpened>(seq => new OpenPipe(seq, objectJson, mimeType, traceParent), cancellationToken).ConfigureAwait(false);
        _pipes[opened.PipeId] = new PipeWindow();
        return opened.PipeId;
    }

    /// <summary>
    /// Sends a chunk and returns once it is on its way, not once the worker has processed it: every
    /// <see cref="AnswerEvery"/>th write asks for an answer, and at most <see cref="MaxUnansweredWrites"/> answers may
    /// be outstanding, so a slow pipeline slows its writer down instead of queueing without bound in the worker. A
    /// failure of an earlier write surfaces here. <paramref name="data"/> is not used after this returns.
    /// </summary>
    /// <exception cref="WorkerGoneException">The worker is gone.</exception>
    /// <exception cref="WorkerRequestFailedException">An earlier write of the pipe failed, or the pipe is not open.</exception>
    public async Task WriteAsync(int pipeId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var pipe = _pipes.TryGetValue(pipeId, out var open) ? open : throw new WorkerRequestFailedException($"Write pipe with id {pipeId} not found");
        await pipe.Writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await pipe.WaitForWindowAsync(MaxUnansweredWrites - 1, Expect<Done>, cancellationToken).ConfigureAwait(false);
            pipe.ThrowIfFailed();
            var answered = ++pipe.Written % AnswerEvery == 0;
            var answer = await PostAsync(seq => new WritePipe(seq, pipeId, answered, data), answered, cancellationToken).ConfigureAwait(false);
            if (answer is not null)
            {
                pipe.Unanswered.Enqueue(answer);
            }
        }
        finally
        {
            pipe.Writes.Release();
        }
    }

    /// <summary>
    /// Ends the pipe's object after its writes (a failed one needs no word here: the worker fails the close of a
    /// pipe whose write failed) and returns the object's result. With <paramref name="fail"/> the host
    /// gives up on the object without waiting for its writes.
    /// </summary>
    public async Task<System.Text.Json.Nodes.JsonObject> CloseAsync(int pipeId, string? fail, CancellationToken cancellationToken)
    {
        if (fail is null && _pipes.TryGetValue(pipeId, out var pipe))
        {
            await pipe.Writes.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await pipe.WaitForWindowAsync(0, Expect<Done>, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                pipe.Writes.Release();
            }
        }

        _pipes.TryRemove(pipeId, out _);
        var closed = await RequestAsync<PipeClosed>(seq => new ClosePipe(seq, pipeId, fail), cancellationToken).ConfigureAwait(false);
        try
        {
            return WorkerJson.ParseObject(closed.Result, "result");
        }
        catch (WorkerProtocolException ex)
        {
            throw ViolatedBy($"a PipeClosed whose {ex.Message}");
        }
    }

    /// <summary>Fails every request still waiting: the worker has exited (or was killed) and its last frames were read.</summary>
    public void Gone()
    {
        // Pairs with PostAsync: the mark comes before the sweep, so a waiter added after the sweep sees it there.
        Interlocked.Exchange(ref _gone, 1);
        foreach (var seq in _pending.Keys)
        {
            if (_pending.TryRemove(seq, out var waiter))
            {
                waiter.TrySetException(new WorkerGoneException());
            }
        }
    }

    private async Task<Task<WorkerReply>?> PostAsync(Func<long, WorkerRequest> build, bool expectAnswer, CancellationToken cancellationToken)
    {
        var seq = Interlocked.Increment(ref _seq);
        var request = build(seq);
        TaskCompletionSource<WorkerReply>? completion = null;
        if (expectAnswer)
        {
            // Registered before any byte is sent: the answer cannot come before its waiter.
            completion = new TaskCompletionSource<WorkerReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[seq] = completion;
        }

        try
        {
            await _writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            _pending.TryRemove(seq, out _);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new WorkerGoneException();
        }

        if (completion is not null && Volatile.Read(ref _gone) == 1 && _pending.TryRemove(seq, out _))
        {
            // Gone while this was being written: nobody is left to fail the waiter.
            completion.TrySetException(new WorkerGoneException());
        }

        return completion?.Task;
    }

    /// <summary>Handles one message from the worker; returns what is wrong with it, if anything.</summary>
    private string? Dispatch(WorkerMessage message)
    {
        switch (message)
        {
            case WorkerReply reply:
                if (!_pending.TryRemove(reply.Seq, out var waiter))
                {
                    return $"a {reply.GetType().Name} for request {reply.Seq}, which is not waiting for an answer";
                }

                Metrics?.DataOut(_reader.LastFrameLength);
                waiter.TrySetResult(reply);
                return null;
            case WorkerEvent evt:
                _onEvent(evt);
                return null;
            default:
                return $"a {message.GetType().Name}, which only the host sends";
        }
    }

    private TReply Expect<TReply>(WorkerReply reply)
        where TReply : WorkerReply => reply switch
    {
        TReply expected => expected,
        RequestFailed failed => throw new WorkerRequestFailedException(failed.Message),
        _ => throw ViolatedBy($"a {reply.GetType().Name} answering request {reply.Seq}, where a {typeof(TReply).Name} or RequestFailed belongs"),
    };

    private WorkerGoneException ViolatedBy(string violation)
    {
        Violate(violation);
        return new WorkerGoneException();
    }

    private void Violate(string violation)
    {
        lock (_pending)
        {
            if (Violation is not null)
            {
                return;
            }

            Violation = violation;
        }

        Violated?.Invoke(violation);
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>One open pipe's writes: sent one at a time in the order taken, with their outstanding answers.</summary>
    private sealed class PipeWindow
    {
        private string? _failure;

        public SemaphoreSlim Writes { get; } = new(1, 1);

        /// <summary>The worker's answers to writes already sent, oldest first; touched only under <see cref="Writes"/>.</summary>
        public Queue<Task<WorkerReply>> Unanswered { get; } = new();

        /// <summary>Writes sent so far; touched only under <see cref="Writes"/>.</summary>
        public long Written { get; set; }

        /// <summary>Waits until at most <paramref name="limit"/> writes are unanswered, noting the first failure among the answers.</summary>
        public async Task WaitForWindowAsync(int limit, Func<WorkerReply, Done> expect, CancellationToken cancellationToken)
        {
            while (Unanswered.TryPeek(out var oldest) && (Unanswered.Count > limit || oldest.IsCompleted))
            {
                try
                {
                    expect(await oldest.WaitAsync(cancellationToken).ConfigureAwait(false));
                }
                catch (WorkerRequestFailedException ex)
                {
                    _failure ??= ex.Message;
                }
                catch (WorkerGoneException)
                {
                    _failure ??= string.Empty; // the task's own end message says it better; see ThrowIfFailed
                }

                _ = Unanswered.Dequeue();
            }
        }

        /// <summary>Throws the failure of an earlier write of this pipe, if there was one.</summary>
        public void ThrowIfFailed()
        {
            if (_failure is { } failure)
            {
                throw failure.Length > 0 ? new WorkerRequestFailedException(failure) : new WorkerGoneException();
            }
        }
    }
}

/// <summary>The worker answered a request with a failure; the message goes on to the client as is.</summary>
internal sealed class WorkerRequestFailedException(string message) : Exception(message);
