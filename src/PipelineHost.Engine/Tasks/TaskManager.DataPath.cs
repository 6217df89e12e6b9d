using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Workers;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Engine.Tasks;

/// <summary>The data path: <c>rrext_process</c> open, write and close, forwarded to the task's worker.</summary>
public sealed partial class TaskManager
{
    /// <summary>Why a pipe the reaper closed is gone, so a later write or close says so; cleared when its id is reused.</summary>
    private readonly ConcurrentDictionary<(string Token, int PipeId), string> _reapedPipes = new();

    /// <summary>
    /// Opens a pipe for one object. Waits (does not fail) while all of the task's <c>threads</c> pipes are in
    /// use; gives up when <paramref name="cancellationToken"/> fires (the client went away) or the task ends.
    /// </summary>
    public async Task<int> OpenPipeAsync(PipelineTask task, JsonObject objectInfo, string? mimeType, string? provider, string owner, CancellationToken cancellationToken)
    {
        ThrowIfNotRunning(task);
        if (!string.IsNullOrEmpty(provider) && provider != task.Identity.Provider)
        {
            throw new TaskException($"You are looking for a \"{provider}\", but this pipeline isn't it");
        }

        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, task.EndedToken))
        {
            try
            {
                await task.PipeSlots.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (task.EndedToken.IsCancellationRequested)
            {
                ThrowIfNotRunning(task);
                throw;
            }
        }

        HostPipe? pipe = null;
        var span = TaskTracing.Start(PipelineTracing.ObjectSpan, task.Span);
        try
        {
            var worker = task.Worker ?? throw new TaskException("The task is not running");

            // Not cancellable once sent: the worker would open the pipe anyway, and nobody would close it. The
            // worker's component spans of this object are children of this one.
            var pipeId = await Guard(task, () => worker.Channel.OpenAsync(WorkerJson.Encode(objectInfo), mimeType ?? "application/octet-stream", span?.Id, CancellationToken.None))
                .ConfigureAwait(false);
            span?.SetTag("pipelinehost.pipe_id", pipeId);
            pipe = new HostPipe(task, pipeId, owner, _time.GetTimestamp()) { Span = span };
            _reapedPipes.TryRemove((task.Token, pipeId), out _);
            _pipes[(task.Token, pipeId)] = pipe;
            Touch(task);
            if (cancellationToken.IsCancellationRequested)
            {
                // The client left while the pipe was opening: give the pipe and its slot back.
                AbandonPipe(pipe, "The client disconnected");
                cancellationToken.ThrowIfCancellationRequested();
            }

            return pipeId;
        }
        catch (Exception ex) when (pipe is null)
        {
            // Until a pipe exists the slot (and the span) are ours to give back; after that the pipe owns them.
            TaskTracing.Fail(span, ex.Message);
            span?.Dispose();
            task.PipeSlots.Release();
            throw;
        }
    }

    /// <summary>
    /// Writes a chunk of the object: answers once the chunk is on its way to the worker, not once the worker has
    /// processed it, so the client's next chunk overlaps the worker's work on this one. A chunk the worker then
    /// fails surfaces at the pipe's next write or at its close (which fails the object anyway). Only every
    /// <see cref="HostPipe.AnswerEvery"/>th chunk asks the worker for an answer (each answer is a frame both ways
    /// across the pipe); at most <see cref="HostPipe.MaxUnansweredWrites"/> answers may be outstanding, so a slow
    /// pipeline slows its writer down instead of queueing without bound in the worker.
    /// </summary>
    public async Task WritePipeAsync(PipelineTask task, int pipeId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var pipe = FindPipe(task, pipeId, "Write");
        var worker = task.Worker ?? throw new TaskException(StoppedMessage(task));
        Interlocked.Increment(ref pipe.Busy);
        try
        {
            await Guard(task, () => worker.Channel.WriteAsync(pipeId, data, cancellationToken)).ConfigureAwait(false);
            pipe.LastActivity = _time.GetTimestamp();
            _metrics?.DataIn(data.Length);
            Touch(task);
        }
        finally
        {
            Interlocked.Decrement(ref pipe.Busy);
        }
    }

    /// <summary>Ends the object and returns its result (the pipe's <c>close</c> body).</summary>
    public async Task<JsonObject> ClosePipeAsync(PipelineTask task, int pipeId, CancellationToken cancellationToken)
    {
        var pipe = FindPipe(task, pipeId, "Close");
        if (!_pipes.TryRemove(new KeyValuePair<(string, int), HostPipe>((task.Token, pipeId), pipe)))
        {
            throw new TaskException(string.Create(CultureInfo.InvariantCulture, $"Close pipe with id {pipeId} not found"));
        }

        try
        {
            var worker = task.Worker ?? throw new TaskException(StoppedMessage(task));
            try
            {
                return await Guard(task, () => worker.Channel.CloseAsync(pipeId, null, cancellationToken)).ConfigureAwait(false);
            }
            catch (TaskException ex)
            {
                TaskTracing.Fail(pipe.Span, ex.Message);
                throw;
            }
            finally
            {
                Touch(task);
            }
        }
        finally
        {
            pipe.Release();
        }
    }

    /// <summary>Fails every pipe a closed connection left open, so their slots come back.</summary>
    public void ReleasePipesOwnedBy(string owner)
    {
        foreach (var pipe in _pipes.Values.Where(p => p.Owner == owner).ToList())
        {
            AbandonPipe(pipe, "The client disconnected");
        }
    }

    private void ReapIdlePipes(long now)
    {
        foreach (var pipe in _pipes.Values)
        {
            if (Volatile.Read(ref pipe.Busy) == 0 && _time.GetElapsedTime(pipe.LastActivity, now) >= _options.PipeIdleTimeout)
            {
                var reason = string.Create(CultureInfo.InvariantCulture, $"The pipe was idle for {_options.PipeIdleTimeout.TotalSeconds:0.###} s and was closed as failed");
                _reapedPipes[(pipe.Task.Token, pipe.PipeId)] = reason;
                AbandonPipe(pipe, reason);
            }
        }
    }

    private void AbandonPipe(HostPipe pipe, string reason)
    {
        if (!_pipes.TryRemove(new KeyValuePair<(string, int), HostPipe>((pipe.Task.Token, pipe.PipeId), pipe)))
        {
            return;
        }

        TaskTracing.Fail(pipe.Span, reason);
        _ = Task.Run(async () =>
        {
            try
            {
                if (pipe.Task.Worker is { } worker)
                {
                    // The worker sends the figures that show the failure before its answer.
                    await worker.Channel.CloseAsync(pipe.PipeId, reason, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is WorkerGoneException or WorkerRequestFailedException or TimeoutException or IOException)
            {
            }
            finally
            {
                pipe.Release();
            }
        });
    }

    /// <summary>Releases the task's pipes (its worker is gone); returns how many had an object open.</summary>
    private int ReleasePipes(PipelineTask task)
    {
        foreach (var key in _reapedPipes.Keys.Where(k => k.Token == task.Token).ToList())
        {
            _reapedPipes.TryRemove(key, out _);
        }

        var released = 0;
        foreach (var pipe in _pipes.Values.Where(p => p.Task == task).ToList())
        {
            if (_pipes.TryRemove(new KeyValuePair<(string, int), HostPipe>((task.Token, pipe.PipeId), pipe)))
            {
                pipe.Release();
                released++;
            }
        }

        return released;
    }

    /// <summary>
    /// Runs a request on the task's worker channel with the worker's failures in the client's words: its own
    /// message when it answered with one, the task's end when it is gone.
    /// </summary>
    private static async Task<T> Guard<T>(PipelineTask task, Func<Task<T>> request)
    {
        try
        {
            return await request().ConfigureAwait(false);
        }
        catch (WorkerRequestFailedException ex)
        {
            throw new TaskException(ex.Message);
        }
        catch (WorkerGoneException)
        {
            await task.Ended.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw new TaskException(StoppedMessage(task));
        }
    }

    private static Task Guard(PipelineTask task, Func<Task> request) =>
        Guard(task, async () =>
        {
            await request().ConfigureAwait(false);
            return true;
        });

    private HostPipe FindPipe(PipelineTask task, int pipeId, string verb)
    {
        if (_pipes.TryGetValue((task.Token, pipeId), out var pipe))
        {
            return pipe;
        }

        if (task.State.IsTerminal())
        {
            throw new TaskException(StoppedMessage(task));
        }

        throw new TaskException(_reapedPipes.TryGetValue((task.Token, pipeId), out var reason)
            ? string.Create(CultureInfo.InvariantCulture, $"{verb} pipe with id {pipeId} failed: {reason}")
            : string.Create(CultureInfo.InvariantCulture, $"{verb} pipe with id {pipeId} not found"));
    }

    private static string StoppedMessage(PipelineTask task) => task.State switch
    {
        TaskState.Completed => "Task has already completed",
        TaskState.Cancelled => string.IsNullOrEmpty(task.ExitMessage) ? "The task has stopped" : task.ExitMessage,
        _ => "The task is stopping",
    };

    private void Touch(PipelineTask task) => task.LastDataActivity = _time.GetTimestamp();

    /// <summary>Reads <c>pipe_id</c> from arguments.</summary>
    public static int ReadPipeId(JsonObject arguments) =>
        arguments["pipe_id"] is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue(out int id)
            ? id
            : throw new TaskException("No pipe_id specified");

    private sealed class HostPipe(PipelineTask task, int pipeId, string owner, long lastActivity)
    {
        private int _released;

        public PipelineTask Task { get; } = task;

        public int PipeId { get; } = pipeId;

        public string Owner { get; } = owner;

        public long LastActivity { get; set; } = lastActivity;

#pragma warning disable SA1401, CA1051 // A counter updated with Interlocked must be a field.
        public int Busy;
#pragma warning restore SA1401, CA1051

        /// <summary>The object's span, from open to close; null when nobody traces.</summary>
        public System.Diagnostics.Activity? Span { get; init; }

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Span?.Dispose();
                Task.PipeSlots.Release();
            }
        }
    }
}
