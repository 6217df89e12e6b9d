using System.Text.Json.Nodes;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Metrics;
using PipelineHost.Engine.Workers;

namespace PipelineHost.Engine.Tasks;

/// <summary>
/// One run of a pipeline: its identity (fixed) and its status (changed only through the engine, under this
/// object's lock, and only along <see cref="TaskStateMachine"/>).
/// </summary>
public sealed class PipelineTask
{
    private const int KeptMessages = 50;

    private readonly Lock _lock = new();
    private DateTimeOffset? _updatedAt;
    private TaskCompletionSource _runningOrEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _endedToken = new();
    private readonly LinkedList<string> _errors = new();
    private readonly LinkedList<string> _warnings = new();
    private readonly LinkedList<string> _output = new();
    private readonly TaskErrorSummary _errorSummary = new();
    private readonly TaskOutputs _outputs = new();
    private CallbackRecord? _callback;
    private JsonObject _counts = TaskStatusWriter.ZeroCounts();
    private JsonArray _notes = [];
    private long _countsVersion;
    private long _pipeflowVersion;
    private long _lastHeartbeatAt; // UTC ticks; 0: none yet
    private readonly List<string> _statusTextChanges = [];
    private JsonObject? _pendingRestart;
    private TaskCompletionSource _restarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _leftQueue = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskProgress _progress = new();

    internal PipelineTask(TaskIdentity identity, JsonObject pipeline, TaskOptions options, double startTime)
    {
        Identity = identity;
        Pipeline = pipeline;
        Options = options;
        StartTime = startTime;
    }

    /// <summary>Who the task is.</summary>
    public TaskIdentity Identity { get; }

    /// <summary>The private token (<c>tk_…</c> or caller-chosen).</summary>
    public string Token => Identity.Token;

    /// <summary>The short id <c>&lt;8 chars&gt;.&lt;source&gt;</c> used as <c>__id</c>.</summary>
    public string Id => Identity.Id;

    /// <summary>The pipeline as submitted (placeholders unresolved, source filled in).</summary>
    public JsonObject Pipeline { get; private set; }

    /// <summary>How the task runs.</summary>
    public TaskOptions Options { get; }

    /// <summary>What kind of run this is.</summary>
    public TaskType Type { get; init; }

    /// <summary>For a retry task: the id of the task whose failed items it reprocesses (status <c>retryOf</c>).</summary>
    public string? RetryOf { get; init; }

    /// <summary>For a retry task: how many items it reprocesses (status <c>nbItems</c>).</summary>
    public long? RetryItems { get; init; }

    /// <summary>For a retry task: the failed items folder it reads.</summary>
    internal string? RetryInputDirectory { get; init; }

    /// <summary>Unix seconds when the task started (kept across restarts).</summary>
    public double StartTime { get; }

    /// <summary>When the task was registered (<c>createdAt</c>): the instant of <see cref="StartTime"/>.</summary>
    public DateTimeOffset CreatedAt => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(StartTime * 1000));

    /// <summary>When the task left the queue and took a worker slot (<c>startedAt</c>); null while queued.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>When the task reached its final state (<c>completedAt</c>); null before.</summary>
    public DateTimeOffset? CompletedAt { get; private set; }

    /// <summary>
    /// When anything in the status other than the sampled metrics last changed (<c>updatedAt</c>, Beam's and
    /// Flexprice's <c>updated_at</c>): state, text, counts, errors, queue position, outputs. Starts at
    /// <see cref="CreatedAt"/>; never earlier than <see cref="CompletedAt"/>.
    /// </summary>
    public DateTimeOffset UpdatedAt
    {
        get
        {
            lock (_lock)
            {
                return UpdatedAtUnderLock();
            }
        }
    }

    /// <summary>
    /// Records a change of the status at <paramref name="at"/> (the clock never moves it backwards) and raises
    /// <see cref="Version"/> by one, waking whoever waits for a change.
    /// </summary>
    internal void Touch(DateTimeOffset at)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            AdvanceUpdatedAtLocked(at);
            _version++;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>
    /// The status <c>version</c>: 0 at creation, one more on every change <see cref="UpdatedAt"/> records (state,
    /// text, counts, errors, queue position, outputs; not a metrics sample alone). Never reset, not even by a restart.
    /// </summary>
    public long Version
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    /// <summary>
    /// Completes once <see cref="Version"/> is above <paramref name="since"/>, or at once when the task has ended (it
    /// changes no more); cancelled with <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task WaitForVersionAsync(long since, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_version > since || State.IsTerminal())
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><see cref="Version"/>, for the status writer, which already holds the lock.</summary>
    internal long VersionUnderLock() => _version;

    private void AdvanceUpdatedAtLocked(DateTimeOffset at)
    {
        if (at > UpdatedAtUnderLock())
        {
            _updatedAt = at;
        }
    }

    /// <summary>How the task ended; null until it has.</summary>
    public ExitReason? ExitReason { get; private set; }

    /// <summary>The task's 1-based place in the host's queue; 0 when it is not waiting.</summary>
    public int QueuePosition => Admission?.PositionOf(this) ?? 0;

    /// <summary>The host-wide queue the task belongs to; null for a task made outside a manager (tests).</summary>
    internal AdmissionQueue<PipelineTask>? Admission { get; init; }

    /// <summary>The host's recent launch rate, for the status's estimated start (issue 20).</summary>
    internal LaunchRate? LaunchRate { get; init; }

    /// <summary>Stops the task when it has run for <see cref="TaskOptions.Timeout"/>; disposed when it ends.</summary>
    internal ITimer? RunTimer { get; set; }

    /// <summary>Current state.</summary>
    public TaskState State { get; private set; }

    /// <summary>Human status text.</summary>
    public string StatusText { get; private set; } = string.Empty;

    /// <summary>Unix seconds at the end, else 0.</summary>
    public double EndTime { get; private set; }

    /// <summary>The worker's exit code (0 until it exits; the real code after).</summary>
    public int? ExitCode { get; private set; } = 0;

    /// <summary>Why the task ended.</summary>
    public string ExitMessage { get; private set; } = string.Empty;

    /// <summary>True once someone asked the task to stop (terminate, TTL, restart).</summary>
    public bool StopRequested { get; private set; }

    /// <summary>Set while a restart is in progress.</summary>
    public bool Restarting { get; private set; }

    /// <summary>The task's callback and how its delivery stands; null when <c>execute</c> had no <c>callbackUrl</c>.</summary>
    public CallbackRecord? Callback
    {
        get
        {
            lock (_lock)
            {
                return _callback;
            }
        }
    }

    /// <summary>The running worker; null before it starts and after it ends.</summary>
    internal WorkerProcess? Worker { get; set; }

    /// <summary>The caller's <c>env</c> from <c>execute</c>, kept (in memory only) so a restart resolves placeholders the same way.</summary>
    internal JsonObject? CallerEnvironment { get; init; }

    /// <summary>Samples the worker's resource use; kept after the end for its frozen tokens.</summary>
    internal TaskMetricsSampler? Sampler { get; set; }

    /// <summary>Bounds open data pipes to <see cref="TaskOptions.Threads"/>.</summary>
    internal SemaphoreSlim PipeSlots { get; } = new(0, int.MaxValue);

    /// <summary>The task's span, from <c>execute</c> to its end; null when nobody traces.</summary>
    internal System.Diagnostics.Activity? Span { get; set; }

    /// <summary>The current launch's span, until RUNNING or the end.</summary>
    internal System.Diagnostics.Activity? LaunchSpan { get; set; }

    /// <summary>When the current run's launch began (a timestamp of the manager's clock): launch latency counts from here.</summary>
    internal long LaunchStarted { get; set; }

    /// <summary>When data last flowed (only data calls keep a task alive).</summary>
    internal long LastDataActivity { get; set; }

    /// <summary>When the worker's last heartbeat arrived (status <c>lastHeartbeatAt</c>); null before the first.</summary>
    internal DateTimeOffset? LastHeartbeatAt
    {
        get => Interlocked.Read(ref _lastHeartbeatAt) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
        set => Interlocked.Exchange(ref _lastHeartbeatAt, value?.UtcTicks ?? 0);
    }

    /// <summary>Completes when the task leaves the queue (takes a slot) or ends.</summary>
    public Task LeftQueueOrEnded => _leftQueue.Task;

    /// <summary>Completes when the task reaches RUNNING or ends.</summary>
    public Task RunningOrEnded => _runningOrEnded.Task;

    /// <summary>Completes when a requested restart has reset the task and is starting it again.</summary>
    internal Task Restarted => _restarted.Task;

    /// <summary>True once this run reached RUNNING (it may have ended since); reset by a restart.</summary>
    public bool ReachedRunning { get; private set; }

    /// <summary>Completes when the task reaches COMPLETED or CANCELLED.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Cancelled when the task ends: waits on its behalf give up.</summary>
    public CancellationToken EndedToken => _endedToken.Token;

    /// <summary>Moves to <paramref name="to"/> if allowed; a refused move is a value, not an exception.</summary>
    internal bool TryMove(TaskState to, string statusText)
    {
        lock (_lock)
        {
            if (!TaskStateMachine.CanMove(State, to))
            {
                return false;
            }

            State = to;
            ReachedRunning |= to == TaskState.Running;
            SetStatusTextLocked(statusText);
        }

        if (to == TaskState.Running)
        {
            _runningOrEnded.TrySetResult();
        }

        return true;
    }

    /// <summary>Records that the task left the queue at <paramref name="at"/>; false if it already had (or has ended).</summary>
    internal bool MarkStarted(DateTimeOffset at)
    {
        lock (_lock)
        {
            if (StartedAt is not null || State.IsTerminal())
            {
                return false;
            }

            StartedAt = at;
        }

        _leftQueue.TrySetResult();
        return true;
    }

    /// <summary>Final bookkeeping: exit fields, end time, then the final state.</summary>
    internal void Finish(TaskState final, string statusText, int? exitCode, string exitMessage, ExitReason reason, DateTimeOffset at)
    {
        lock (_lock)
        {
            ExitCode = exitCode;
            ExitMessage = exitMessage;
            ExitReason = reason;
            CompletedAt = at;
            AdvanceUpdatedAtLocked(at);
            EndTime = at.ToUnixTimeMilliseconds() / 1000.0;
            _counts["serviceUp"] = false;

            // A worker that was stopped mid-wait never reports that the retry is off.
            _counts["nextProcessAt"] = null;
            State = final;
            SetStatusTextLocked(statusText);
            Worker = null;
        }

        _runningOrEnded.TrySetResult();
        _leftQueue.TrySetResult();
    }

    /// <summary>
    /// Completes <see cref="Ended"/>. Called after the final status and end events were published, so whoever
    /// awaits the end has every event of the task already queued.
    /// </summary>
    internal void SignalEnded()
    {
        _ended.TrySetResult();
        _endedToken.Cancel();
    }

    /// <summary>Why the task was asked to stop (<c>exitMessage</c> once it has).</summary>
    internal string? StopReason { get; private set; }

    /// <summary>The <c>exit</c> message the worker sent before exiting by itself.</summary>
    internal string? WorkerExitMessage { get; set; }

    /// <summary>The <c>exitReason</c> a requested stop ends the task with.</summary>
    internal ExitReason StopExitReason { get; private set; } = Tasks.ExitReason.Cancelled;

    /// <summary>Marks the task as asked to stop; false when it already was (or has ended).</summary>
    internal bool RequestStop(string reason, ExitReason exitReason = Tasks.ExitReason.Cancelled)
    {
        lock (_lock)
        {
            if (StopRequested || State.IsTerminal())
            {
                return false;
            }

            StopRequested = true;
            StopReason = reason;
            StopExitReason = exitReason;
            return true;
        }
    }

    /// <summary>Marks the task for a restart with <paramref name="pipeline"/>; false when it is not running.</summary>
    internal bool RequestRestart(JsonObject pipeline)
    {
        lock (_lock)
        {
            if (StopRequested || State.IsTerminal())
            {
                return false;
            }

            StopRequested = true;
            Restarting = true;
            StopReason = "Restarting";
            _pendingRestart = pipeline;
            _restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return true;
        }
    }

    /// <summary>
    /// After a restart's worker has exited: back to NONE with every runtime field reset (identity and start
    /// time kept), ready to start again. Returns the new pipeline.
    /// </summary>
    internal JsonObject ResetForRestart()
    {
        lock (_lock)
        {
            var pipeline = _pendingRestart ?? Pipeline;
            Pipeline = pipeline;
            _pendingRestart = null;
            State = TaskState.None;
            StatusText = string.Empty;
            _errors.Clear();
            _warnings.Clear();
            _errorSummary.Clear();
            _outputs.Clear();
            _notes = [];
            _counts = TaskStatusWriter.ZeroCounts();
            _countsVersion = 0;
            _pipeflowVersion = 0;
            ExitCode = null;
            ExitMessage = string.Empty;
            ExitReason = null;
            CompletedAt = null;
            EndTime = 0;
            StopRequested = false;
            StopExitReason = Tasks.ExitReason.Cancelled;
            Restarting = false;
            StopReason = null;
            WorkerExitMessage = null;
            Worker = null;
            ReachedRunning = false;
            _runningOrEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _restarted.TrySetResult();
            return pipeline;
        }
    }

    /// <summary>Changes the status text of a task that has not ended; a final task's text is never changed.</summary>
    internal void SetStatusText(string text)
    {
        lock (_lock)
        {
            if (!State.IsTerminal())
            {
                SetStatusTextLocked(text);
            }
        }
    }

    /// <summary>
    /// The status texts set since the last call, oldest first (each becomes an <c>apaevt_status_message</c>, the
    /// reference's <c>&gt;JOB</c>); empty when the text did not change.
    /// </summary>
    internal IReadOnlyList<string> TakeStatusTextChanges()
    {
        lock (_lock)
        {
            if (_statusTextChanges.Count == 0)
            {
                return [];
            }

            var changes = _statusTextChanges.ToArray();
            _statusTextChanges.Clear();
            return changes;
        }
    }

    private void SetStatusTextLocked(string text)
    {
        if (text.Length > 0 && text != StatusText)
        {
            _statusTextChanges.Add(text);
        }

        StatusText = text;
    }

    /// <summary>
    /// Applies the worker's per-pipe component stacks (status <c>pipeflow.byPipe</c>) unless a newer snapshot was
    /// already applied.
    /// </summary>
    internal bool ApplyPipeflow(JsonObject pipeflow)
    {
        lock (_lock)
        {
            var version = pipeflow["version"] is JsonValue v && v.TryGetValue(out long n) ? n : long.MaxValue;
            if (version <= _pipeflowVersion || pipeflow["byPipe"] is not JsonObject byPipe)
            {
                return false;
            }

            _pipeflowVersion = version == long.MaxValue ? _pipeflowVersion : version;

            // Kept with the other worker-reported figures; TaskStatusWriter reads it from there.
            _counts[TaskStatusWriter.ByPipeKey] = byPipe.DeepClone();
            return true;
        }
    }

    /// <summary>
    /// Counts the objects a dead worker had in flight as failed: the pipes its last pipeflow showed busy, or the
    /// host's open data pipes if more.
    /// </summary>
    internal void FailObjectsInFlight(int openPipes)
    {
        lock (_lock)
        {
            var busy = _counts[TaskStatusWriter.ByPipeKey] is JsonObject byPipe ? byPipe.Count : 0;
            var inFlight = Math.Max(openPipes, busy);
            if (inFlight <= 0)
            {
                return;
            }

            var completed = TaskStatusWriter.Int64(_counts["completedCount"]) ?? 0;
            var failed = (TaskStatusWriter.Int64(_counts["failedCount"]) ?? 0) + inFlight;
            _counts["failedCount"] = failed;
            _counts["totalCount"] = Math.Max(TaskStatusWriter.Int64(_counts["totalCount"]) ?? 0, completed + failed);
            _counts[TaskStatusWriter.ByPipeKey] = new JsonObject();
        }
    }

    /// <summary>Applies a counters snapshot from the worker unless a newer one was already applied.</summary>
    internal bool ApplyCounts(JsonObject counts)
    {
        lock (_lock)
        {
            var version = counts["version"] is JsonValue v && v.TryGetValue(out long n) ? n : long.MaxValue;
            if (version <= _countsVersion)
            {
                return false;
            }

            _countsVersion = version == long.MaxValue ? _countsVersion : version;
            foreach (var (key, value) in counts)
            {
                if (key != "version")
                {
                    _counts[key] = value?.DeepClone();
                }
            }

            _progress.Observe(FinishedCount(_counts), Clock.GetUtcNow());

            return true;
        }
    }

    internal void SetCurrentObject(string? name, long size)
    {
        lock (_lock)
        {
            _counts["currentObject"] = name;
            _counts["currentSize"] = size;
        }
    }

    internal void SetServiceUp(bool up)
    {
        lock (_lock)
        {
            _counts["serviceUp"] = up;
            _notes = [];
        }
    }

    /// <summary>
    /// Records an error: the message in <c>errors</c> (the last 50), and <paramref name="summaryKey"/> (the message
    /// without what differs per object, e.g. the object's name) counted in <c>errorSummary</c>.
    /// </summary>
    internal void AddError(string message, string? summaryKey = null)
    {
        lock (_lock)
        {
            _errorSummary.Add(summaryKey ?? message);
        }

        Append(_errors, message);
    }

    /// <summary>Records a file a writer produced (status <c>outputs</c>).</summary>
    internal void ReportOutputFile(TaskOutputEntry file)
    {
        lock (_lock)
        {
            _outputs.Report(file);
        }
    }

    /// <summary>The files the task's writers produced so far.</summary>
    public IReadOnlyList<TaskOutputEntry> OutputFiles()
    {
        lock (_lock)
        {
            return _outputs.Snapshot();
        }
    }

    /// <summary>Sets or updates the callback record (created at <c>execute</c>, updated by each delivery attempt).</summary>
    internal void SetCallback(CallbackRecord record)
    {
        lock (_lock)
        {
            _callback = record;
        }
    }

    // The status writer's view of the seed-API fields; it runs inside Status(), under the lock.
    internal JsonArray ErrorSummaryUnderLock() => _errorSummary.ToJson();

    internal JsonArray OutputsUnderLock() => _outputs.ToJson();

    internal JsonObject? CallbackUnderLock() => _callback?.ToStatusJson();

    /// <summary><see cref="UpdatedAt"/>, for the status writer, which already holds the lock.</summary>
    internal DateTimeOffset UpdatedAtUnderLock() => _updatedAt ?? CreatedAt;

    internal void AddWarning(string message) => Append(_warnings, message);

    internal void AddOutput(string line) => Append(_output, line);

    /// <summary>The last lines the worker printed, oldest first.</summary>
    public IReadOnlyList<string> RecentOutput()
    {
        lock (_lock)
        {
            return [.. _output];
        }
    }

    /// <summary>The clock progress is measured with (the engine's).</summary>
    internal TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// For the status writer, under the lock: percent, ETA and recent rate against the total the task knows — its
    /// source's (<c>filesys</c>, <c>synthetic</c>), else the items of a retry task, else <c>expectedCount</c> given on
    /// <c>execute</c>; none for an open-ended source.
    /// </summary>
    internal ProgressEstimate ProgressUnderLock(JsonObject counts) =>
        _progress.Estimate(
            FinishedCount(counts),
            TaskStatusWriter.Int64(counts[Pipelines.Runtime.WorkerProtocol.SourceTotalCounter]) ?? RetryItems ?? Options.ExpectedCount,
            State.IsTerminal(),
            Clock.GetUtcNow());

    private static long FinishedCount(JsonObject counts) =>
        (TaskStatusWriter.Int64(counts["completedCount"]) ?? 0) + (TaskStatusWriter.Int64(counts["failedCount"]) ?? 0);

    /// <summary>The full TASK_STATUS object (§6 of the reference), a fresh copy.</summary>
    /// <param name="includeConfig">Also the task's runtime <c>config</c> (asked for with <c>config:true</c>).</param>
    public JsonObject Status(bool includeConfig = false)
    {
        lock (_lock)
        {
            return TaskStatusWriter.Write(this, _counts, _errors, _warnings, _notes, includeConfig);
        }
    }

    private void Append(LinkedList<string> list, string message)
    {
        lock (_lock)
        {
            list.AddLast(message);
            while (list.Count > KeptMessages)
            {
                list.RemoveFirst();
            }
        }
    }
}
