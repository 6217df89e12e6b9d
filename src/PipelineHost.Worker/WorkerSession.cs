using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Plugins;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Validation;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Worker;

/// <summary>
/// The worker's side of one task: builds the pipeline the host sends, runs objects through it (sent by clients
/// through the host, or produced by a batch source) and reports counters, warnings and errors back.
/// </summary>
internal sealed class WorkerSession : IAsyncDisposable, IRunObserver
{
    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(100);

    private readonly HostChannel _channel;
    private readonly TaskCounters _counters;
    private readonly ConcurrentDictionary<int, Pipe> _pipes = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<Task, byte> _handlers = new();
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<TimeSpan> _heartbeatInterval = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PipelineGraph? _graph;
    private ObjectRetrier? _retrier;
    private FailedItemStore? _failedItems;
    private long _replayLimit = WorkerStartSettings.DefaultFailedItemMaxBytes;
    private PipeFlowTracker _flow;
    private int _threads = 64;
    private ActivityContext _taskTrace;
    private IDisposable? _tracing;

    public WorkerSession(Stream input, Stream output, TimeProvider? time = null)
    {
        _channel = new HostChannel(input, output);
        _time = time ?? TimeProvider.System;
        _counters = new TaskCounters(_time);
        _flow = NewFlowTracker(FlowTraceLevel.None);
    }

    /// <summary>Serves the host until told to stop, the batch finishes or the host goes away; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.Register(() => Exit(0, "Stopped"));
        var reader = ReadLoopAsync();
        var reporter = ReportLoopAsync();
        var heartbeat = HeartbeatLoopAsync();
        var code = await _exit.Task.ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_handlers.Keys).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await SendFiguresAsync(force: true).ConfigureAwait(false);
        await reporter.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _tracing?.Dispose(); // flushes an exporter's last spans
        _ = reader;
        return code;
    }

    public void Warn(string componentId, string message) => _channel.Post(new WorkerWarning($"{componentId}: {message}"));

    public void Count(string counter, long amount) => _counters.Count(counter, amount);

    public void FileWritten(string name, long size, string contentType) => _channel.Post(new FileWritten(name, size, contentType));

    // A child object (an archive entry, an attachment) counts as an object of the task of its own.
    public void ChildOpened(ObjectContext child, long size)
    {
        _counters.Opened(size);
        _channel.Post(new ObjectStarted(child.Name, size));
    }

    public void ChildClosed(ObjectContext child, long size, string? error)
    {
        if (error is null)
        {
            _counters.Completed(size);
            return;
        }

        _counters.Failed(size);
        ReportObjectError(child.Name, error);
    }

    private async Task ReadLoopAsync()
    {
        if (await _channel.ServeAsync(HandleAsync, Track, _stopping.Token).ConfigureAwait(false) is { } failure)
        {
            await Console.Error.WriteLineAsync($"worker: host channel failed: {failure}").ConfigureAwait(false);
            Exit(1, $"Host channel failed: {failure}");
            return;
        }

        // The host went away: nobody is left to serve.
        Exit(0, "Host closed the channel");
    }

    private async Task<WorkerReply?> HandleAsync(WorkerRequest request)
    {
        switch (request)
        {
            case StartTask start:
                try
                {
                    Start(start.Settings);
                    return new Done(start.Seq);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Answered before the exit, so the host reads why before it sees the worker go.
                    await _channel.SendAsync(new RequestFailed(start.Seq, ex.Message)).ConfigureAwait(false);
                    Exit(WorkerProtocol.StartFailedExitCode, ex.Message);
                    return null;
                }

            case WarmUp warm:
                await PoolWorker.WarmUpAsync(_stopping.Token).ConfigureAwait(false);
                return new Done(warm.Seq);
            case OpenPipe open:
                return new PipeOpened(open.Seq, Open(open));
            case WritePipe write:
                await WriteAsync(write).ConfigureAwait(false);
                return new Done(write.Seq);
            case ClosePipe close:
                try
                {
                    return new PipeClosed(close.Seq, WorkerJson.Encode(await CloseAsync(close).ConfigureAwait(false)));
                }
                finally
                {
                    // Before the answer, so a status read right after a send already shows the object.
                    await SendFiguresAsync(force: true).ConfigureAwait(false);
                }

            case StopWorker stop:
                Exit(0, "Stopped");
                return new Done(stop.Seq);
            default:
                throw new WorkerException($"Unknown worker request '{request.GetType().Name}'");
        }
    }

    /// <summary>
    /// The plug-ins of the host's components folder. Refused ones are left out silently: the host reported them
    /// by name when it loaded the same folder, and validated this task's pipeline against what it loaded.
    /// </summary>
    private static ComponentPlugins LoadPlugins(string? directory)
    {
        try
        {
            return ComponentPlugins.Load(directory, ComponentCatalog.ReservedNames);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new WorkerException(ex.Message);
        }
    }

    private void Start(StartSettings message)
    {
        _counters.StartClock();
        var settings = WorkerStartSettings.FromMessage(message);
        _heartbeatInterval.TrySetResult(settings.HeartbeatInterval);
        if (settings.ProcessEnvironment is { } variables)
        {
            PoolWorker.UseEnvironment(variables);
        }

        // After the task's environment is in place (a pool worker started before it): it says who listens.
        _tracing ??= WorkerTracing.Listen();
        _taskTrace = WorkerTracing.Parse(settings.TraceParent);

        var catalog = ComponentCatalog.CreateForWorker(LoadPlugins(settings.ComponentsDirectory));
        var validation = new PipelineValidator(catalog).Validate(settings.Pipeline, settings.Source);
        if (validation.Definition is not { } definition)
        {
            throw new WorkerException(validation.Errors[0].Message);
        }

        Directory.CreateDirectory(settings.Environment.OutputDirectory);
        try
        {
            _graph = PipelineGraph.Build(definition, catalog, settings.Environment);
        }
        catch (ComponentConfigException ex)
        {
            throw new WorkerException(ex.Message);
        }

        _threads = settings.Threads;
        _flow = NewFlowTracker(settings.TraceLevel);
        _retrier = new ObjectRetrier(settings.Retry, _graph.ComponentRetry, _counters.Retries, _time);
        _replayLimit = settings.FailedItemMaxBytes;
        if (settings.FailedDirectory is { } failed)
        {
            _failedItems = new FailedItemStore(failed, settings.FailedItemMaxBytes, settings.FailedTaskMaxBytes, _counters.Retries, _time);
        }

        _started.TrySetResult();
        _channel.Post(new ServiceState(true));
        if (_graph.Source is IBatchSource batch)
        {
            _counters.SetSourceTotal(batch.KnownTotal);
            Track(RunBatchAsync(batch));
        }
    }

    private async Task RunBatchAsync(IBatchSource source)
    {
        await Task.Yield();
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = _threads, CancellationToken = _stopping.Token };
            await Parallel.ForEachAsync(source.ReadAsync(_stopping.Token), options, async (item, ct) =>
            {
                // A batch object holds a pipe slot like a client's does, so it shows in pipeflow and flow records.
                var pipe = TryAllocatePipeId();
                var objectId = NewObjectId();
                var context = new ObjectContext(item.Name, item.MimeType, objectId, item.Metadata, pipe.HasValue ? SseSink(pipe.Value) : null);
                _counters.Opened(item.Size);
                _channel.Post(new ObjectStarted(item.Name, item.Size));
                long written = 0;
                string? failure = null;
                try
                {
                    // Each attempt reads the object from the start: a batch source can always open it again.
                    var outcome = await Retrier.RunAsync(
                        async (attempt, token) =>
                        {
                            written = 0;
                            if (attempt > 1)
                            {
                                context = new ObjectContext(item.Name, item.MimeType, objectId, item.Metadata, pipe.HasValue ? SseSink(pipe.Value) : null);
                            }

                            var run = Graph.Begin(context, this, pipe.HasValue ? _flow.Begin(pipe.Value, context) : null, _taskTrace);
                            var stream = await item.OpenAsync(token).ConfigureAwait(false);
                            await using (stream.ConfigureAwait(false))
                            {
                                var chunk = new byte[64 * 1024];
                                int read;
                                while ((read = await stream.ReadAsync(chunk, token).ConfigureAwait(false)) > 0)
                                {
                                    await run.WriteAsync(chunk.AsMemory(0, read), token).ConfigureAwait(false);
                                    written += read;
                                }
                            }

                            await run.CloseAsync(token).ConfigureAwait(false);
                        },
                        ct).ConfigureAwait(false);
                    if (outcome.Succeeded)
                    {
                        _counters.Completed(written);
                    }
                    else
                    {
                        failure = outcome.Error!;
                        _counters.Failed(written);
                        ReportObjectError(item.Name, failure);
                        await KeepFailedAsync(item.Name, item.MimeType, outcome, async token => await item.OpenAsync(token).ConfigureAwait(false), item.Size, ct)
                            .ConfigureAwait(false);
                    }
                }
                finally
                {
                    if (pipe.HasValue)
                    {
                        _flow.End(pipe.Value, context, failure);
                        _pipes.TryRemove(pipe.Value, out _);
                    }
                }
            }).ConfigureAwait(false);
            Exit(0, "Completed");
        }
        catch (OperationCanceledException)
        {
            Exit(0, "Stopped");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _channel.Post(new ObjectError($"Source failed: {ex.Message}", null));
            Exit(1, $"Source failed: {ex.Message}");
        }
    }

    private int Open(OpenPipe request)
    {
        var graph = Graph;
        JsonObject info;
        try
        {
            info = WorkerJson.ParseObject(request.Object, "object");
        }
        catch (WorkerProtocolException ex)
        {
            throw new WorkerException($"The object description is invalid: {ex.Message}");
        }

        var name = info["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String && n.GetValue<string>().Length > 0
            ? n.GetValue<string>()
            : NewObjectId();
        var size = info["size"] is JsonValue s && s.TryGetValue(out long declared) ? declared : 0;
        var mime = NormalizeMime(request.MimeType);

        var id = AllocatePipeId();
        var context = new ObjectContext(name, mime, NewObjectId(), info, SseSink(id));
        var trace = WorkerTracing.Parse(request.TraceParent, _taskTrace);
        _pipes[id] = new Pipe(id, graph.Begin(context, this, _flow.Begin(id, context), trace), size) { Trace = trace };
        _counters.Opened(size);
        _channel.Post(new ObjectStarted(name, size));
        return id;
    }

    private async Task WriteAsync(WritePipe request)
    {
        var pipe = FindPipe(request.PipeId, "Write");
        var data = request.Data;
        await pipe.Lock.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            if (pipe.Failure is not null)
            {
                throw new WorkerException($"Write pipe with id {pipe.Id} has failed: {pipe.Failure.Message}");
            }

            pipe.Capture(data, _replayLimit);
            if (pipe.Deferred is not null)
            {
                // A retry is coming at close: only keep the bytes for it.
                pipe.Written += data.Length;
                return;
            }

            try
            {
                await pipe.Run.WriteAsync(data, _stopping.Token).ConfigureAwait(false);
                pipe.Written += data.Length;
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                if (pipe.CanReplay && Retrier.WillRetry(ex))
                {
                    // The client keeps sending; the object is replayed from its first byte when it closes.
                    pipe.Deferred = ex;
                    pipe.Written += data.Length;
                    return;
                }

                pipe.Failure = ex;
                throw new WorkerException($"Write pipe with id {pipe.Id} has failed: {ex.Message}");
            }
        }
        finally
        {
            pipe.Lock.Release();
        }

        return;
    }

    private async Task<JsonObject> CloseAsync(ClosePipe request)
    {
        var pipe = FindPipe(request.PipeId, "Close");
        await pipe.Lock.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            _pipes.TryRemove(pipe.Id, out _);
            var size = Math.Max(pipe.Written, pipe.DeclaredSize);
            if (pipe.DeclaredSize == 0 && pipe.Written > 0)
            {
                _counters.AddSize(pipe.Written);
            }

            if (request.Fail is { } reason)
            {
                // The host gave up on the object (client gone, pipe idle): its input may be cut short, so it is
                // neither retried nor kept, whatever failed before.
                var given = pipe.Failure?.Message ?? pipe.Deferred?.Message ?? reason;
                _flow.End(pipe.Id, pipe.Run.Context, given);
                pipe.Run.Abandon(given);
                _counters.Failed(size);
                ReportObjectError(pipe.Run.Context.Name, given);
                throw new WorkerException(given);
            }

            if (pipe.Failure is null && pipe.Deferred is null)
            {
                try
                {
                    await pipe.Run.CloseAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    pipe.Deferred = ex;
                }
            }

            if ((pipe.Failure ?? pipe.Deferred) is { } firstFailure)
            {
                // The close answer waits for the retries: the client gets the final result or the last error.
                var canReplay = pipe.Failure is null && pipe.CanReplay;
                var outcome = await Retrier.RetryAsync(firstFailure, canReplay, (_, token) => ReplayAsync(pipe, token), _stopping.Token)
                    .ConfigureAwait(false);
                if (!outcome.Succeeded)
                {
                    var failed = pipe.Run.Context;
                    _flow.End(pipe.Id, failed, outcome.Error);
                    _counters.Failed(size);
                    ReportObjectError(failed.Name, outcome.Error!);
                    await KeepFailedAsync(failed.Name, failed.MimeType, outcome, _ => ValueTask.FromResult<Stream?>(pipe.CapturedStream()), size, _stopping.Token)
                        .ConfigureAwait(false);
                    throw new WorkerException(outcome.Error!);
                }
            }

            _flow.End(pipe.Id, pipe.Run.Context, null);
            _counters.Completed(size);
            var context = pipe.Run.Context;
            var body = new JsonObject { ["name"] = context.Name, ["path"] = string.Empty, ["objectId"] = context.ObjectId };
            context.Result.WriteTo(body);
            return body;
        }
        finally
        {
            pipe.Lock.Release();
        }
    }

    /// <summary>Runs a data-path object again from its first byte, on a fresh run whose result becomes the pipe's.</summary>
    private async ValueTask ReplayAsync(Pipe pipe, CancellationToken cancellationToken)
    {
        var previous = pipe.Run.Context;
        var context = new ObjectContext(previous.Name, previous.MimeType, previous.ObjectId, previous.Metadata, SseSink(pipe.Id));
        var run = Graph.Begin(context, this, _flow.Begin(pipe.Id, context), pipe.Trace);
        pipe.Run = run;
        foreach (var chunk in pipe.Chunks)
        {
            await run.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }

        await run.CloseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Keeps an object that failed for good as a failed item, when the task keeps them.</summary>
    private async Task KeepFailedAsync(string name, string mimeType, RetryOutcome outcome, Func<CancellationToken, ValueTask<Stream?>> open, long size, CancellationToken cancellationToken)
    {
        if (_failedItems is not { } store)
        {
            return;
        }

        try
        {
            var content = await open(cancellationToken).ConfigureAwait(false);
            string? warning;
            if (content is null)
            {
                warning = await store.KeepAsync(name, mimeType, outcome.Error!, outcome.Attempts, null, size, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await using (content.ConfigureAwait(false))
                {
                    warning = await store.KeepAsync(name, mimeType, outcome.Error!, outcome.Attempts, content, size, cancellationToken).ConfigureAwait(false);
                }
            }

            if (warning is not null)
            {
                _channel.Post(new WorkerWarning(warning));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _channel.Post(new WorkerWarning($"Failed item \"{name}\" could not be kept: {ex.Message}"));
        }
    }

    private Pipe FindPipe(int id, string verb) =>
        _pipes.TryGetValue(id, out var pipe) && pipe != Pipe.Reserved
            ? pipe
            : throw new WorkerException($"{verb} pipe with id {id} not found");

    /// <summary>Remembers a handler until it ends, so stopping can wait for it (a finished one is forgotten: a
    /// long-lived task handles millions of writes).</summary>
    private void Track(Task handler)
    {
        _handlers.TryAdd(handler, 0);
        _ = handler.ContinueWith(
            static (done, handlers) => ((ConcurrentDictionary<Task, byte>)handlers!).TryRemove(done, out _),
            _handlers,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private int AllocatePipeId() => TryAllocatePipeId() ?? throw new WorkerException($"All {_threads} pipes are busy");

    private int? TryAllocatePipeId()
    {
        // Pipe ids are slot numbers 0..threads-1, as in the reference engine.
        for (var id = 0; id < _threads; id++)
        {
            if (_pipes.TryAdd(id, Pipe.Reserved))
            {
                return id;
            }
        }

        return null;
    }

    private PipeFlowTracker NewFlowTracker(FlowTraceLevel level) => new(level, _channel.Post);

    private Action<string, JsonObject?> SseSink(int pipe) =>
        (type, data) => _channel.Post(new SseMessage(pipe, type, data is null ? null : WorkerJson.Encode(data)));

    private PipelineGraph Graph => _graph ?? throw new WorkerException("The pipeline has not started");

    private ObjectRetrier Retrier => _retrier ?? throw new WorkerException("The pipeline has not started");

    private void ReportObjectError(string name, string message) => _channel.Post(new ObjectError($"Object \"{name}\": {message}", message));

    private void Exit(int code, string message)
    {
        if (_exit.TrySetResult(code))
        {
            _channel.Post(new Exiting(code, message));
        }
    }

    private async Task ReportLoopAsync()
    {
        // Nothing counts before a pipeline exists, and a pool worker may wait long for its task: no timer ticking
        // (waking the process ten times a second) until then.
        await _started.Task.WaitAsync(_stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        using var timer = new PeriodicTimer(ReportInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                await SendFiguresAsync(force: false).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Says the worker is alive every interval the task's start asked for, from its start on (a pool worker waiting
    /// for its task is nobody's to watch). A timer of its own: a pipeline busy in every thread still gets it out.
    /// </summary>
    private async Task HeartbeatLoopAsync()
    {
        try
        {
            var interval = await _heartbeatInterval.Task.WaitAsync(_stopping.Token).ConfigureAwait(false);
            if (interval <= TimeSpan.Zero)
            {
                return;
            }

            using var timer = new PeriodicTimer(interval, _time);
            long number = 0;
            do
            {
                await _channel.SendAsync(new Heartbeat(++number)).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Sends the pipe stacks and counters that changed (all of them when <paramref name="force"/>).</summary>
    private async Task SendFiguresAsync(bool force)
    {
        if (_flow.TakeIfChanged(force) is { } pipeflow)
        {
            await _channel.SendAsync(pipeflow).ConfigureAwait(false);
        }

        if (_counters.TakeIfChanged(force) is { } counts)
        {
            await _channel.SendAsync(counts).ConfigureAwait(false);
            await _channel.SendAsync(new Usage(_counters.CustomCounters(), new Dictionary<string, double>())).ConfigureAwait(false);
        }
    }

    private static string NewObjectId() => Guid.NewGuid().ToString("D");

    private static string NormalizeMime(string? mimeType)
    {
        var mime = (mimeType ?? "application/octet-stream").Split(';')[0].Trim().ToLowerInvariant();
        return mime.Length == 0 ? "application/octet-stream" : mime;
    }

    public async ValueTask DisposeAsync()
    {
        _tracing?.Dispose();
        _stopping.Dispose();
        _channel.Dispose();
        await ValueTask.CompletedTask.ConfigureAwait(false);
    }

    private sealed class Pipe(int id, PipelineGraph.ObjectRun run, long declaredSize)
    {
        public static readonly Pipe Reserved = new(-1, null!, 0);

        private readonly List<ReadOnlyMemory<byte>> _chunks = [];
        private long _captured;
        private bool _overflow;

        public int Id { get; } = id;

        /// <summary>The span the object's component spans descend from (the host's object span); default: none.</summary>
        public ActivityContext Trace { get; init; }

        /// <summary>The current attempt; a successful retry replaces it.</summary>
        public PipelineGraph.ObjectRun Run { get; set; } = run;

        public long DeclaredSize { get; } = declaredSize;

        public long Written { get; set; }

        /// <summary>A failure already reported to the client (a write answered with an error): not retried.</summary>
        public Exception? Failure { get; set; }

        /// <summary>A failure whose retry waits for the close: the client was not told.</summary>
        public Exception? Deferred { get; set; }

        public SemaphoreSlim Lock { get; } = new(1, 1);

        /// <summary>Every byte received so far is kept, so the object can be replayed.</summary>
        public bool CanReplay => !_overflow;

        /// <summary>The chunks as received (decoded frames are fresh arrays, so no copy is needed).</summary>
        public IReadOnlyList<ReadOnlyMemory<byte>> Chunks => _chunks;

        /// <summary>Keeps <paramref name="data"/> for a replay, until the object grows past <paramref name="limit"/>.</summary>
        public void Capture(ReadOnlyMemory<byte> data, long limit)
        {
            if (_overflow)
            {
                return;
            }

            _captured += data.Length;
            if (_captured > limit)
            {
                _overflow = true;
                _chunks.Clear();
                return;
            }

            _chunks.Add(data);
        }

        /// <summary>The kept input as a stream, or null when it was too large to keep.</summary>
        public Stream? CapturedStream()
        {
            if (_overflow)
            {
                return null;
            }

            var bytes = new byte[_captured];
            var offset = 0;
            foreach (var chunk in _chunks)
            {
                chunk.CopyTo(bytes.AsMemory(offset));
                offset += chunk.Length;
            }

            return new MemoryStream(bytes, writable: false);
        }
    }
}

/// <summary>A failure whose message goes back to the host (and on to the client) as is.</summary>
internal sealed class WorkerException(string message) : Exception(message);
