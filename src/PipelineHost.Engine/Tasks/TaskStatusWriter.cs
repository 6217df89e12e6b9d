using System.Text.Json.Nodes;
using PipelineHost.Engine.Metrics;
using PipelineHost.Pipelines.Runtime;

namespace PipelineHost.Engine.Tasks;

/// <summary>Builds TASK_STATUS exactly as RocketRide clients expect it, field for field and in the reference's order.</summary>
public static class TaskStatusWriter
{
    /// <summary>The <c>status</c> text of a task waiting in the queue.</summary>
    public const string QueuedStatusText = "Queued";

    /// <summary>Where the worker's per-pipe component stacks are kept among a task's reported figures.</summary>
    internal const string ByPipeKey = "byPipe";

    /// <summary>Every counter at zero.</summary>
    public static JsonObject ZeroCounts() => new()
    {
        ["currentObject"] = string.Empty,
        ["currentSize"] = 0,
        ["totalSize"] = 0,
        ["totalCount"] = 0,
        ["completedSize"] = 0,
        ["completedCount"] = 0,
        ["failedSize"] = 0,
        ["failedCount"] = 0,
        ["wordsSize"] = 0,
        ["wordsCount"] = 0,
        ["rateSize"] = 0,
        ["rateCount"] = 0,
        ["serviceUp"] = false,
        ["retried"] = 0,
        ["nextProcessAt"] = null,
        ["lastError"] = null,
        ["lastErrorAt"] = null,
        ["failedItems"] = 0,
    };

    /// <summary>
    /// A TASK_STATUS with every field in the reference's order and nothing known yet: the base for a stored task
    /// that has no status of its own (the identity, state and exit fields are laid over it).
    /// </summary>
    public static JsonObject Empty(int totalPipes)
    {
        var status = new JsonObject
        {
            ["name"] = string.Empty,
            ["project_id"] = string.Empty,
            ["source"] = string.Empty,
            ["completed"] = false,
            ["state"] = 0,
            ["startTime"] = 0,
            ["endTime"] = 0,
            ["debuggerAttached"] = false,
            ["status"] = string.Empty,
            ["warnings"] = new JsonArray(),
            ["errors"] = new JsonArray(),
        };
        var counts = ZeroCounts();
        foreach (var key in new[] { "currentObject", "currentSize" })
        {
            status[key] = counts[key]!.DeepClone();
        }

        status["notes"] = new JsonArray();
        foreach (var key in new[] { "totalSize", "totalCount", "completedSize", "completedCount", "failedSize", "failedCount", "wordsSize", "wordsCount", "rateSize", "rateCount", "serviceUp" })
        {
            status[key] = counts[key]!.DeepClone();
        }

        status["exitCode"] = 0;
        status["exitMessage"] = string.Empty;
        status["pipeflow"] = new JsonObject { ["totalPipes"] = totalPipes, ["byPipe"] = new JsonObject() };
        status["metrics"] = TaskMetrics.Zero.ToJson();
        status["tokens"] = TaskTokens.Zero.ToJson();
        status["id"] = string.Empty;
        status["provider"] = string.Empty;
        status["taskType"] = TaskType.Pipeline.ToWire();
        status["statusName"] = TaskOutcome.StatusName(TaskState.None, null);
        status["exitReason"] = null;
        status["createdAt"] = null;
        status["startedAt"] = null;
        status["completedAt"] = null;
        status["queuePosition"] = 0;
        status["stats"] = Stats(default);
        status["retried"] = 0;
        status["maxRetry"] = 0;
        status["nextProcessAt"] = null;
        status["lastError"] = null;
        status["lastErrorAt"] = null;
        status["failedItems"] = 0;
        status["nbItems"] = null;
        status["nbRemainingItems"] = null;
        status["retryOf"] = null;
        status["remainingCount"] = null;
        status["errorSummary"] = new JsonArray();
        status["outputs"] = new JsonArray();
        status["callback"] = null;
        status["updatedAt"] = null;
        status["lastHeartbeatAt"] = null;

        // peers-http (issue 20).
        status["version"] = 0;
        status["pendingReason"] = null;
        status["pending"] = null;
        status["budget"] = null;
        AddProgress(status, default);
        return status;
    }

    /// <summary>
    /// RocketRide's stand-in status for a project/source with no task: state 0, "Not running", every field
    /// present so clients can read it like any status.
    /// </summary>
    public static JsonObject Placeholder(string projectId, string source)
    {
        var status = Empty(0);
        status["name"] = source;
        status["project_id"] = projectId;
        status["source"] = source;
        status["status"] = "Not running";
        return status;
    }

    /// <summary>The host-wide <c>stats</c> object: <c>{queueDepth, activeWorkers}</c>.</summary>
    public static JsonObject Stats(QueueStats stats) => new()
    {
        ["queueDepth"] = stats.QueueDepth,
        ["activeWorkers"] = stats.Active,
    };

    /// <summary>
    /// The task's runtime configuration (<c>config</c>, on request): <c>threads</c>, and <c>ttl</c>,
    /// <c>timeout</c>, <c>expires</c> in seconds (0 = no limit), <c>traceLevel</c> (null when off). Every field
    /// of <c>config</c> is added here and nowhere else.
    /// </summary>
    public static JsonObject Config(TaskOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new JsonObject
        {
            ["threads"] = options.Threads,
            ["ttl"] = options.Ttl.TotalSeconds,
            ["timeout"] = options.Timeout.TotalSeconds,
            ["expires"] = options.Expires.TotalSeconds,
            ["traceLevel"] = options.TraceLevel,
            ["retry"] = options.Retry?.ToJson(),
        };
    }

    internal static JsonObject Write(PipelineTask task, JsonObject counts, IEnumerable<string> errors, IEnumerable<string> warnings, JsonArray notes, bool includeConfig)
    {
        var state = task.State;
        var position = task.QueuePosition;
        var status = new JsonObject
        {
            ["name"] = task.Identity.Name,
            ["project_id"] = task.Identity.ProjectId,
            ["source"] = task.Identity.Source,
            ["completed"] = state.IsTerminal(),
            ["state"] = (int)state,
            ["startTime"] = task.StartTime,
            ["endTime"] = task.EndTime,
            ["debuggerAttached"] = false,
            // A queued task is still NONE; the reference has no word for waiting, so the text says it.
            ["status"] = position > 0 ? QueuedStatusText : task.StatusText,
            ["warnings"] = new JsonArray(warnings.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
            ["errors"] = new JsonArray(errors.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
            ["currentObject"] = counts["currentObject"]?.DeepClone(),
            ["currentSize"] = counts["currentSize"]?.DeepClone(),
            ["notes"] = notes.DeepClone(),
            ["totalSize"] = counts["totalSize"]?.DeepClone(),
            ["totalCount"] = counts["totalCount"]?.DeepClone(),
            ["completedSize"] = counts["completedSize"]?.DeepClone(),
            ["completedCount"] = counts["completedCount"]?.DeepClone(),
            ["failedSize"] = counts["failedSize"]?.DeepClone(),
            ["failedCount"] = counts["failedCount"]?.DeepClone(),
            ["wordsSize"] = counts["wordsSize"]?.DeepClone(),
            ["wordsCount"] = counts["wordsCount"]?.DeepClone(),
            ["rateSize"] = counts["rateSize"]?.DeepClone(),
            ["rateCount"] = counts["rateCount"]?.DeepClone(),
            ["serviceUp"] = counts["serviceUp"]?.DeepClone(),
            ["exitCode"] = task.ExitCode,
            ["exitMessage"] = task.ExitMessage,
            ["pipeflow"] = new JsonObject { ["totalPipes"] = task.Options.Threads, ["byPipe"] = counts[ByPipeKey]?.DeepClone() ?? new JsonObject() },
            ["metrics"] = (task.Sampler?.Metrics ?? TaskMetrics.Zero).ToJson(),
            ["tokens"] = (task.Sampler?.Tokens ?? TaskTokens.Zero).ToJson(),
            ["id"] = task.Id,
            ["provider"] = task.Identity.Provider,

            // PipelineHost's additions (absent from the reference; old clients ignore them).
            ["taskType"] = task.Type.ToWire(),
            ["statusName"] = TaskOutcome.StatusName(state, task.ExitReason),
            ["exitReason"] = task.ExitReason?.ToWire(),
            ["createdAt"] = TaskOutcome.IsoTime(task.CreatedAt),
            ["startedAt"] = TaskOutcome.IsoTime(task.StartedAt),
            ["completedAt"] = TaskOutcome.IsoTime(task.CompletedAt),
            ["queuePosition"] = position,
            ["stats"] = Stats(task.Admission?.Stats ?? default),

            // Retries (QStash) and, for a retry task, its items (DriveQuant's push-failed-trips task).
            ["retried"] = counts["retried"]?.DeepClone() ?? 0,
            ["maxRetry"] = task.Options.Retry?.MaxRetries ?? 0,
            ["nextProcessAt"] = counts["nextProcessAt"]?.DeepClone(),
            ["lastError"] = counts["lastError"]?.DeepClone(),
            ["lastErrorAt"] = counts["lastErrorAt"]?.DeepClone(),
            ["failedItems"] = counts["failedItems"]?.DeepClone() ?? 0,
            ["nbItems"] = task.RetryItems,
            ["nbRemainingItems"] = task.RetryItems is { } items ? Math.Max(0, items - (Int64(counts["completedCount"]) ?? 0) - (Int64(counts["failedCount"]) ?? 0)) : null,
            ["retryOf"] = task.RetryOf,
            ["remainingCount"] = RemainingCount(counts),
            ["errorSummary"] = task.ErrorSummaryUnderLock(),
            ["outputs"] = task.OutputsUnderLock(),
            ["callback"] = task.CallbackUnderLock(),
            ["updatedAt"] = TaskOutcome.IsoTime(task.UpdatedAtUnderLock()),
            ["lastHeartbeatAt"] = TaskOutcome.IsoTime(task.LastHeartbeatAt),

            // peers-http (issue 20): cheap waiting; see protocol-spec/tasks.md §3.
            ["version"] = task.VersionUnderLock(),
        };

        // peers-http (issue 20): why a task is not running yet.
        var (pendingReason, pending) = PendingReason.Of(task, counts, position, task.Admission?.Stats ?? default);
        status["pendingReason"] = pendingReason;
        status["pending"] = pending;

        // peers-http (issue 20): budgets and what is used of them.
        status["budget"] = task.Options.Budget?.ToJson(TaskBudgetUsage.Of(task.Sampler));
        AddProgress(status, task.ProgressUnderLock(counts));
        if (includeConfig)
        {
            status["config"] = Config(task.Options);
        }

        return status;
    }

    /// <summary>
    /// Progress (issue 20; PipelineHost's addition): <c>percent</c>, <c>eta</c> and <c>etaConfidence</c> against a
    /// known total, <c>recentRate</c> (objects/s, exponentially weighted) for every task. Every progress field is
    /// added here and nowhere else; see protocol-spec/tasks.md §3.
    /// </summary>
    private static void AddProgress(JsonObject status, ProgressEstimate progress)
    {
        status["percent"] = progress.Percent;
        status["eta"] = TaskOutcome.IsoTime(progress.Eta);
        status["etaConfidence"] = progress.EtaConfidence;
        status["recentRate"] = progress.RecentRate;
    }

    /// <summary>
    /// Objects a batch source has yet to produce or finish: its known total (<see cref="WorkerProtocol.SourceTotalCounter"/>) less
    /// the completed and failed ones; null when the source does not know its total (a webhook) or has not said yet.
    /// </summary>
    private static long? RemainingCount(JsonObject counts) =>
        Int64(counts[WorkerProtocol.SourceTotalCounter]) is { } known
            ? Math.Max(0, known - (Int64(counts["completedCount"]) ?? 0) - (Int64(counts["failedCount"]) ?? 0))
            : null;

    /// <summary>A whole number, whichever numeric type the node was built with; null when it is not a number.</summary>
    internal static long? Int64(JsonNode? node) => node is JsonValue value
        ? value.TryGetValue(out long l) ? l
        : value.TryGetValue(out int i) ? i
        : value.TryGetValue(out double d) && double.IsFinite(d) ? (long)d
        : null
        : null;
}
