using System.Text.Json.Nodes;
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
    private TaskCompletionSource _runningOrEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _endedToken = new();
    private readonly LinkedList<string> _errors = new();
    private readonly LinkedList<string> _warnings = new();
    private readonly LinkedList<string> _output = new();
    private JsonObject _counts = TaskStatusWriter.ZeroCounts();
    private JsonArray _notes = [];
    private long _countsVersion;
    private long _pipeflowVersion;
    private readonly List<string> _statusTextChanges = [];
    private JsonObject? _pendingRestart;
    private TaskCompletionSource _restarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

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

    /// <summary>Unix seconds when the task started (kept across restarts).</summary>
    public double StartTime { get; }

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

    /// <summary>The running worker; null before it starts and after it ends.</summary>
    internal WorkerProcess? Worker { get; set; }

    /// <summary>The caller's <c>env</c> from <c>execute</c>, kept (in memory only) so a restart resolves placeholders the same way.</summary>
    internal JsonObject? CallerEnvironment { get; init; }

    /// <summary>Samples the worker's resource use; kept after the end for its frozen tokens.</summary>
    internal TaskMetricsSampler? Sampler { get; set; }

    /// <summary>Bounds open data pipes to <see cref="TaskOptions.Threads"/>.</summary>
    internal SemaphoreSlim PipeSlots { get; } = new(0, int.MaxValue);

    /// <summary>When data last flowed (only data calls keep a task alive).</summary>
    internal long LastDataActivity { get; set; }

    /// <summary>Completes when the task reaches RUNNING or ends.</summary>
    public Task RunningOrEnded => _runningOrEnded.Task;

    /// <summary>Completes when a requested restart has reset the task and is starting it again.</summary>
    internal Task Restarted => _restarted.Task;

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
            SetStatusTextLocked(statusText);
        }

        if (to == TaskState.Running)
        {
            _runningOrEnded.TrySetResult();
        }

        return true;
    }

    /// <summary>Final bookkeeping: exit fields, end time, then the final state.</summary>
    internal void Finish(TaskState final, string statusText, int? exitCode, string exitMessage, double endTime)
    {
        lock (_lock)
        {
            ExitCode = exitCode;
            ExitMessage = exitMessage;
            EndTime = endTime;
            _counts["serviceUp"] = false;
            State = final;
            SetStatusTextLocked(statusText);
            Worker = null;
        }

        _runningOrEnded.TrySetResult();
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

    /// <summary>Marks the task as asked to stop; false when it already was (or has ended).</summary>
    internal bool RequestStop(string reason)
    {
        lock (_lock)
        {
            if (StopRequested || State.IsTerminal())
            {
                return false;
            }

            StopRequested = true;
            StopReason = reason;
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
            _notes = [];
            _counts = TaskStatusWriter.ZeroCounts();
            _countsVersion = 0;
            _pipeflowVersion = 0;
            ExitCode = null;
            ExitMessage = string.Empty;
            EndTime = 0;
            StopRequested = false;
            Restarting = false;
            StopReason = null;
            WorkerExitMessage = null;
            Worker = null;
            _runningOrEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _restarted.TrySetResult();
            return pipeline;
        }
    }

    internal void SetStatusText(string text)
    {
        lock (_lock)
        {
            SetStatusTextLocked(text);
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

    internal void AddError(string message) => Append(_errors, message);

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

    /// <summary>The full TASK_STATUS object (§6 of the reference), a fresh copy.</summary>
    public JsonObject Status()
    {
        lock (_lock)
        {
            return TaskStatusWriter.Write(this, _counts, _errors, _warnings, _notes);
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
