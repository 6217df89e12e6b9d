using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// Persists every task's state changes and final status to the <see cref="ITaskStore"/>. The engine calls
/// observers synchronously on its own threads, so this only takes a snapshot and queues it; one background
/// loop writes the queue in order. <see cref="FlushAsync"/> waits until everything queued so far is written;
/// disposing waits for tasks still ending (their last events are a moment behind), then drains the queue.
/// Besides state changes, a running task's figures (counts, billing tokens, metrics) are written once a second while
/// they change (<see cref="ProgressInterval"/>), so a host killed outright loses at most a second of them.
/// </summary>
public sealed partial class TaskHistoryRecorder : ITaskObserver, IAsyncDisposable
{
    /// <summary>How long disposal waits for running tasks' final events before writing what it has.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts at a write that keeps failing (a full disk).</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most writes kept in memory while the store fails; beyond it a running task's figure snapshots are skipped
    /// (the next one supersedes them), never a state change or a final status.
    /// </summary>
    public const int MaxPending = 100_000;

    private int _pending;
    private string? _failure;

    /// <summary>How many writes wait in memory (surfaced in <c>GET /status</c> and the log while the store fails).</summary>
    public int PendingWrites => Volatile.Read(ref _pending);

    /// <summary>Why the current write keeps failing ("the disk is full", …); null while writes succeed.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>How often a running task's changed figures are written.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private readonly ITaskStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<TaskHistoryRecorder> _logger;
    private readonly Channel<Write> _queue = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private readonly ConditionalWeakTable<PipelineTask, Track> _tracks = [];
    private readonly HashSet<PipelineTask> _open = [];
    private readonly Task _writer;
    private readonly ITimer _progress;
    private TaskCompletionSource _allEnded = NewSignal();
    private int _disposed;

    /// <summary>Starts the writer loop.</summary>
    public TaskHistoryRecorder(ITaskStore store, TimeProvider time, ILogger<TaskHistoryRecorder> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _allEnded.TrySetResult();
        _writer = Task.Run(WriteLoopAsync);
        _progress = time.CreateTimer(_ => WriteProgress(), null, ProgressInterval, ProgressInterval);
    }

    /// <inheritdoc />
    public void OnTaskEvent(TaskEvent taskEvent)
    {
        ArgumentNullException.ThrowIfNull(taskEvent);
        var task = taskEvent.Task;
        switch (taskEvent)
        {
            case TaskLifecycle { Action: "begin" or "restart" }:
            case TaskStatusChanged { StateChanged: true }:
            case TaskLifecycle { Action: "end" }:
                break;
            case TaskStatusChanged:
                // Figures only: written by the next progress tick, at most once a second.
                lock (_gate)
                {
                    if (_open.Contains(task))
                    {
                        _tracks.GetValue(task, _ => new Track()).Dirty = true;
                    }
                }

                return;
            default:
                return;
        }

        // Snapshot and enqueue under one lock, so the queue's order is the order the snapshots were taken in.
        lock (_gate)
        {
            var track = _tracks.GetValue(task, _ => new Track());
            track.Dirty = false;
            var record = TaskRecord.FromTask(task, track.StartedAt);
            var now = Now();
            if (record.State == TaskState.Running && track.StartedAt is null)
            {
                track.StartedAt = now;
                record = record with { StartedAt = now };
            }

            var ending = taskEvent is TaskLifecycle { Action: "end" };
            if (!ending && _open.Add(task) && _open.Count == 1)
            {
                _allEnded = NewSignal();
            }

            Enqueue(new Write(record, null, 0, null));
            if (record.State != track.LastState)
            {
                track.LastState = record.State;
                Enqueue(new Write(null, task.Token, record.State, now) { TaskId = task.Id });
            }

            if (ending && _open.Remove(task) && _open.Count == 0)
            {
                _allEnded.TrySetResult();
            }
        }
    }

    // Snapshots the open tasks whose figures changed since their last write, in the same order-keeping lock.
    private void WriteProgress()
    {
        lock (_gate)
        {
            foreach (var task in _open)
            {
                if (_tracks.TryGetValue(task, out var track) && track.Dirty && PendingWrites < MaxPending)
                {
                    track.Dirty = false;
                    Enqueue(new Write(TaskRecord.FromTask(task, track.StartedAt), null, 0, null));
                }
            }
        }
    }

    /// <summary>Completes once everything queued before the call has been written (or failed and been logged).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Write(null, null, 0, null, done)))
        {
            // Disposed: the loop drained the queue before it stopped.
            await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits (up to <see cref="DrainTimeout"/>) for tasks seen running to report their end, then drains the queue.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _writer.ConfigureAwait(false);
            return;
        }

        await _progress.DisposeAsync().ConfigureAwait(false);
        Task allEnded;
        lock (_gate)
        {
            allEnded = _allEnded.Task;
        }

        try
        {
            await allEnded.WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.TasksStillOpen(_logger, DrainTimeout.TotalSeconds);
        }

        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private void Enqueue(Write write)
    {
        if (_queue.Writer.TryWrite(write))
        {
            Interlocked.Increment(ref _pending);
        }
        else
        {
            Log.DroppedAfterDispose(_logger, write.Record?.Id ?? write.TaskId ?? "?");
        }
    }

    private async Task WriteLoopAsync()
    {
        await foreach (var write in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (write.Flushed is { } flushed)
            {
                flushed.TrySetResult();
                continue;
            }

            await WriteUntilDoneAsync(write).ConfigureAwait(false);
            Interlocked.Decrement(ref _pending);
        }
    }

    // A write that fails (a full disk, a locked file) is kept and tried again, with a growing delay, until it works:
    // history is never dropped while the host runs. Only a shutdown gives up, after a few more attempts.
    private async Task WriteUntilDoneAsync(Write write)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (write.Record is { } record)
                {
                    await _store.UpsertTaskAsync(record, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await _store.AppendTransitionAsync(write.Token!, write.State, write.At!.Value, CancellationToken.None).ConfigureAwait(false);
                }

                if (Interlocked.Exchange(ref _failure, null) is not null)
                {
                    Log.WritesResumed(_logger, PendingWrites);
                }

                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var reason = DiskFull.Is(ex) ? "no space left on the disk" : ex.GetType().Name;
                if (Interlocked.Exchange(ref _failure, reason) is null)
                {
                    Log.WriteFailed(_logger, write.Record?.Id ?? write.TaskId ?? "?", PendingWrites, ex);
                }

                if (Volatile.Read(ref _disposed) == 1 && attempt >= 3)
                {
                    Log.GaveUp(_logger, write.Record?.Id ?? write.TaskId ?? "?");
                    return;
                }

                await Task.Delay(delay, _time).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private double Now() => _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A record to upsert, or a transition to append, or (with <see cref="Flushed"/>) a flush marker.</summary>
    private sealed record Write(TaskRecord? Record, string? Token, TaskState State, double? At, TaskCompletionSource? Flushed = null)
    {
        /// <summary>The task's public id, for the log (never its token).</summary>
        public string? TaskId { get; init; }
    }

    private sealed class Track
    {
        public bool Dirty { get; set; }

        public double? StartedAt { get; set; }

        public TaskState? LastState { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.HistoryWriteFailed, LogLevel.Error, "Could not write the history of task {TaskId}; {Pending} writes are kept in memory and retried until they succeed")]
        public static partial void WriteFailed(ILogger logger, string taskId, int pending, Exception exception);

        [LoggerMessage(LogEventIds.HistoryWritesResumed, LogLevel.Information, "History writes succeed again; {Pending} kept writes are being written")]
        public static partial void WritesResumed(ILogger logger, int pending);

        [LoggerMessage(LogEventIds.HistoryGaveUp, LogLevel.Error, "Shutting down: the history of task {TaskId} could not be written and is lost")]
        public static partial void GaveUp(ILogger logger, string taskId);

        [LoggerMessage(LogEventIds.HistoryDroppedAfterDispose, LogLevel.Warning, "Task history for {TaskId} arrived after shutdown and was not written")]
        public static partial void DroppedAfterDispose(ILogger logger, string taskId);

        [LoggerMessage(LogEventIds.HistoryTasksStillOpen, LogLevel.Warning, "Some tasks had not reported their end {Seconds} s into shutdown; their history is written as last seen")]
        public static partial void TasksStillOpen(ILogger logger, double seconds);
    }
}
