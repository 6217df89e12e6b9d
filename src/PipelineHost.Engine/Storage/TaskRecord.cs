using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// One task as the store keeps it: its identity, the pipeline as submitted (placeholders unresolved, so no
/// secret the server substituted is ever written), its times and its last known status. Once the task has
/// ended, <see cref="Status"/> is the final TASK_STATUS with counts, errors, metrics and billing tokens.
/// </summary>
public sealed record TaskRecord
{
    /// <summary>The status text of a task the host lost track of (see <see cref="ITaskStore.MarkInterruptedAsync"/>).</summary>
    public const string InterruptedStatusText = "Interrupted";

    /// <summary>The exit message of a task that was still waiting in the queue when its host died.</summary>
    public const string InterruptedQueuedMessage = "The host stopped while the task was waiting in the queue";

    /// <summary>
    /// The private token. The store keeps only its keyed hash (<see cref="TokenHash"/>), so a record read back has it
    /// only when the reader named the task by it; null otherwise.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>The public key (<c>pk_…</c>); like <see cref="Token"/>, null when read back unless the reader named the task by it.</summary>
    public string? PublicKey { get; init; }

    /// <summary>The store's key: the keyed hash of <see cref="Token"/> (<see cref="TokenHasher"/>); set on records read back.</summary>
    public string? TokenHash { get; init; }

    /// <summary>The keyed hash of <see cref="PublicKey"/>; set on records read back.</summary>
    public string? PublicKeyHash { get; init; }

    /// <summary>The short id (<c>&lt;8 chars&gt;.&lt;source&gt;</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The internal key naming the task's folder (<see cref="TaskIdentity.Key"/>); null for tasks stored before keys existed.</summary>
    public string? Key { get; init; }

    /// <summary>The pipeline's <c>project_id</c>.</summary>
    public required string ProjectId { get; init; }

    /// <summary>The source component id.</summary>
    public required string Source { get; init; }

    /// <summary>The source component's provider.</summary>
    public required string Provider { get; init; }

    /// <summary>The status <c>name</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The owner.</summary>
    public required string UserId { get; init; }

    /// <summary>The pipeline as submitted, never the resolved copy.</summary>
    public required JsonObject Pipeline { get; init; }

    /// <summary>Unix seconds when the task was created (TASK_STATUS <c>startTime</c>).</summary>
    public required double CreatedAt { get; init; }

    /// <summary>Unix seconds when the task first became RUNNING; null if it never did.</summary>
    public double? StartedAt { get; init; }

    /// <summary>Unix seconds when the task ended; null while it has not.</summary>
    public double? EndedAt { get; init; }

    /// <summary>The last known state.</summary>
    public required TaskState State { get; init; }

    /// <summary>The human status text (<c>Completed</c>, <c>Stopped</c>, <c>Failed</c>…).</summary>
    public string StatusText { get; init; } = string.Empty;

    /// <summary>The last known TASK_STATUS; the final one once the task has ended.</summary>
    public JsonObject? Status { get; init; }

    /// <summary>The worker's exit code.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Why the task ended.</summary>
    public string ExitMessage { get; init; } = string.Empty;

    /// <summary>A snapshot of <paramref name="task"/> as it is now.</summary>
    /// <param name="task">The task.</param>
    /// <param name="startedAt">When it first became RUNNING (the task itself does not keep this).</param>
    public static TaskRecord FromTask(PipelineTask task, double? startedAt)
    {
        ArgumentNullException.ThrowIfNull(task);

        // One Status() call is one consistent snapshot (taken under the task's lock): read the fields that
        // change from it rather than from the task's properties one by one. The config is kept with it, so a
        // task read back from the store can still answer config:true.
        var status = task.Status(includeConfig: true);
        var state = (TaskState)status["state"]!.GetValue<int>();
        var endTime = Number(status["endTime"]);
        return new TaskRecord
        {
            Token = task.Token,
            PublicKey = task.Identity.PublicKey,
            Id = task.Id,
            Key = task.Identity.Key,
            ProjectId = task.Identity.ProjectId,
            Source = task.Identity.Source,
            Provider = task.Identity.Provider,
            Name = task.Identity.Name,
            UserId = task.Identity.UserId,
            Pipeline = (JsonObject)task.Pipeline.DeepClone(),
            CreatedAt = task.StartTime,
            StartedAt = startedAt,
            EndedAt = state.IsTerminal() && endTime > 0 ? endTime : null,
            State = state,
            StatusText = status["status"]?.GetValue<string>() ?? string.Empty,
            Status = status,
            ExitCode = status["exitCode"] is JsonValue code && code.TryGetValue(out int c) ? c : null,
            ExitMessage = status["exitMessage"]?.GetValue<string>() ?? string.Empty,
        };
    }

    /// <summary>
    /// TASK_STATUS for this record: the stored status with the record's own columns laid over it, so a record
    /// changed in the store alone (an interrupted task) reads consistently: its <c>exitReason</c> becomes
    /// <c>failed</c>, <c>statusName</c> follows, <c>completedAt</c> is its end.
    /// </summary>
    /// <param name="includeConfig">Keep the stored <c>config</c> (asked for with <c>config:true</c>).</param>
    public JsonObject ToStatus(bool includeConfig = false)
    {
        var status = Status?.DeepClone() as JsonObject ?? TaskStatusWriter.Empty(Options(Status));
        if (!includeConfig)
        {
            status.Remove("config");
        }

        var terminal = State.IsTerminal();
        status["name"] = Name;
        status["project_id"] = ProjectId;
        status["source"] = Source;
        status["completed"] = terminal;
        status["state"] = (int)State;
        status["startTime"] = CreatedAt;
        status["endTime"] = EndedAt ?? 0;
        status["status"] = StatusText;
        status["exitCode"] = ExitCode;
        status["exitMessage"] = ExitMessage;
        status["id"] = Id;
        status["provider"] = Provider;
        if (terminal)
        {
            status["serviceUp"] = false;

            // issue 20: an ended task waits for nothing (a status stored while queued said it did).
            status["pendingReason"] = null;
            status["pending"] = null;
        }

        // A status stored by an older server lacks the fields added since: they read as "nothing known".
        foreach (var (key, value) in TaskStatusWriter.Empty(0))
        {
            if (!status.ContainsKey(key))
            {
                status[key] = value?.DeepClone();
            }
        }

        // The store only ever ends a task by itself when it was interrupted: a failure, not a choice.
        ExitReason? reason = terminal
            ? TaskOutcome.ParseExitReason(status["exitReason"] is JsonValue r && r.GetValueKind() == JsonValueKind.String ? r.GetValue<string>() : null)
                ?? (State == TaskState.Completed ? Tasks.ExitReason.Completed : Tasks.ExitReason.Failed)
            : null;
        status["statusName"] = TaskOutcome.StatusName(State, reason);
        status["exitReason"] = reason?.ToWire();
        status["createdAt"] = TaskOutcome.IsoTime(CreatedAt);
        if (status["startedAt"] is null && StartedAt is { } started)
        {
            // Records written before startedAt existed: when the task first ran is the nearest known time.
            status["startedAt"] = TaskOutcome.IsoTime(started);
        }

        status["completedAt"] = terminal ? TaskOutcome.IsoTime(EndedAt) : null;
        if (terminal)
        {
            status["queuePosition"] = 0;

            // Ended by the store alone (interrupted): the end is its last change.
            if (status["completedAt"] is JsonValue completed && completed.TryGetValue(out string? completedAt)
                && (status["updatedAt"] is not JsonValue updated || !updated.TryGetValue(out string? updatedAt) || string.CompareOrdinal(updatedAt, completedAt) < 0))
            {
                status["updatedAt"] = completedAt;
            }
        }

        return status;
    }

    private static int Options(JsonObject? status) =>
        status?["pipeflow"]?["totalPipes"] is JsonValue v && v.TryGetValue(out int pipes) ? pipes : TaskOptions.Default.Threads;

    private static double Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) ? d : 0;
}

/// <summary>One state a task entered, and when (unix seconds).</summary>
public sealed record TaskTransition(string Token, TaskState State, double At);

/// <summary>Which stored tasks to list, and in which order (newest first unless <see cref="Sort"/> says otherwise).</summary>
public sealed record TaskQuery
{
    /// <summary>At most this many records.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Skip this many matching records first (paging).</summary>
    public int Offset { get; init; }

    /// <summary>Only tasks in this state.</summary>
    public TaskState? State { get; init; }

    /// <summary>Only tasks of this project.</summary>
    public string? ProjectId { get; init; }

    /// <summary>Only tasks of this owner.</summary>
    public string? UserId { get; init; }

    /// <summary>Only tasks whose name contains this text (case-insensitive).</summary>
    public string? NameContains { get; init; }

    /// <summary>Only tasks of this source component id.</summary>
    public string? Source { get; init; }

    /// <summary>Only tasks whose short id starts with this text, or whose token does where the token is known (a task in memory).</summary>
    public string? TokenPrefix { get; init; }

    /// <summary>Only tasks created at or after this time (unix seconds).</summary>
    public double? CreatedFrom { get; init; }

    /// <summary>Only tasks created before this time (unix seconds).</summary>
    public double? CreatedTo { get; init; }

    /// <summary>Only these tokens (null: any).</summary>
    public IReadOnlyCollection<string>? Tokens { get; init; }

    /// <summary>The order; ties are broken by creation time, newest first.</summary>
    public TaskSort Sort { get; init; } = TaskSort.Created;

    /// <summary>Largest first (the default) or smallest first.</summary>
    public bool Descending { get; init; } = true;

    /// <summary>Whether <paramref name="record"/> passes every filter of this query (the same rules as the store's).</summary>
    public bool Matches(TaskRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return (State is null || record.State == State)
            && (ProjectId is null || record.ProjectId == ProjectId)
            && (UserId is null || record.UserId == UserId)
            && (NameContains is null || record.Name.Contains(NameContains, StringComparison.OrdinalIgnoreCase))
            && (Source is null || record.Source == Source)
            && (TokenPrefix is null || record.Token?.StartsWith(TokenPrefix, StringComparison.Ordinal) == true || record.Id.StartsWith(TokenPrefix, StringComparison.Ordinal))
            && (CreatedFrom is null || record.CreatedAt >= CreatedFrom)
            && (CreatedTo is null || record.CreatedAt < CreatedTo)
            && (Tokens is null || (record.Token is { } token && Tokens.Contains(token)));
    }

    /// <summary>The sort key of <paramref name="record"/> at <paramref name="now"/> (unix seconds), as the store orders by it.</summary>
    public IComparable SortKey(TaskRecord record, double now)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Sort switch
        {
            TaskSort.Name => record.Name.ToLowerInvariant(),
            TaskSort.State => (int)record.State,
            TaskSort.Ended => record.EndedAt ?? double.MaxValue,
            TaskSort.Duration => (record.EndedAt ?? now) - (record.StartedAt ?? record.CreatedAt),
            _ => record.CreatedAt,
        };
    }
}

/// <summary>What a <see cref="TaskQuery"/> orders by.</summary>
public enum TaskSort
{
    /// <summary>Creation time (TASK_STATUS <c>startTime</c>).</summary>
    Created,

    /// <summary>The task's name.</summary>
    Name,

    /// <summary>The state number.</summary>
    State,

    /// <summary>End time; tasks still running count as ending last.</summary>
    Ended,

    /// <summary>Run time: from first RUNNING (else creation) to the end (else now).</summary>
    Duration,
}

/// <summary>One page of a <see cref="TaskQuery"/> and how many records match in all.</summary>
public sealed record TaskPage(IReadOnlyList<TaskRecord> Records, int Total);
