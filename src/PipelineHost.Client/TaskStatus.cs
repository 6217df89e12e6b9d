using System.Text.Json.Nodes;

namespace PipelineHost.Client;

/// <summary>
/// A task's TASK_STATUS, as <c>rrext_get_task_status</c> returns it and <c>apaevt_status_update</c> events carry it.
/// </summary>
/// <remarks>
/// The name matches the wire object. It collides with <see cref="System.Threading.Tasks.TaskStatus"/> when both
/// namespaces are imported; write <c>using TaskStatus = PipelineHost.Client.TaskStatus;</c> where that happens.
/// </remarks>
public sealed record TaskStatus
{
    /// <summary>The display name (<c>name</c>), e.g. <c>echo.webhook_1</c>.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The pipeline's <c>project_id</c>.</summary>
    public string ProjectId { get; init; } = string.Empty;

    /// <summary>The source component id.</summary>
    public string Source { get; init; } = string.Empty;

    /// <summary>True once the task reached a final state.</summary>
    public bool Completed { get; init; }

    /// <summary>The state.</summary>
    public TaskState State { get; init; }

    /// <summary>When the task started, or null if it has not.</summary>
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>When the task ended, or null while it runs.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>True while a debugger is attached.</summary>
    public bool DebuggerAttached { get; init; }

    /// <summary>The human-readable status text, e.g. <c>Ready - accepting data</c> or <c>Completed</c>.</summary>
    public string Status { get; init; } = string.Empty;

    /// <summary>Errors the pipeline reported (the server keeps the last 50).</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>Warnings the pipeline reported (the server keeps the last 50).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Notes the source published (strings or small objects), as JSON.</summary>
    public IReadOnlyList<JsonNode?> Notes { get; init; } = [];

    /// <summary>Object and byte counters.</summary>
    public TaskCounts Counts { get; init; } = new();

    /// <summary>Throughput.</summary>
    public TaskRates Rates { get; init; } = new();

    /// <summary>True while the source is up.</summary>
    public bool ServiceUp { get; init; }

    /// <summary>The worker's exit code; null when unknown (e.g. during a restart).</summary>
    public long? ExitCode { get; init; }

    /// <summary>Why the task ended, e.g. <c>Stopped</c>; empty while it runs.</summary>
    public string ExitMessage { get; init; } = string.Empty;

    /// <summary>Which components each pipe is in.</summary>
    public TaskPipeflow Pipeflow { get; init; } = new();

    /// <summary>CPU and memory use of the task's processes.</summary>
    public TaskMetrics Metrics { get; init; } = new();

    /// <summary>Billing units used so far.</summary>
    public TaskTokens Tokens { get; init; } = new();

    /// <summary>
    /// The outcome word (<c>statusName</c>): <c>PENDING</c>, <c>IN_PROGRESS</c>, <c>COMPLETED</c>, <c>CANCELED</c>,
    /// <c>FAILED</c>, <c>TIMEOUT</c> or <c>EXPIRED</c>; empty from a server that does not send it.
    /// </summary>
    public string StatusName { get; init; } = string.Empty;

    /// <summary>How the task ended (<c>exitReason</c>: <c>completed</c>, <c>failed</c>, <c>cancelled</c>, <c>timeout</c>, <c>expired</c>); null until it has.</summary>
    public string? ExitReason { get; init; }

    /// <summary>When the task was created (<c>createdAt</c>).</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>When the task left the queue and took a worker slot (<c>startedAt</c>); null while queued.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the task ended (<c>completedAt</c>); null before.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>When anything in the status other than the sampled metrics last changed (<c>updatedAt</c>).</summary>
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>When the host last heard the task's worker's heartbeat (<c>lastHeartbeatAt</c>); null before its worker started.</summary>
    public DateTimeOffset? LastHeartbeatAt { get; init; }

    /// <summary>The task's 1-based place in the server's queue (<c>queuePosition</c>); 0 when it is not queued.</summary>
    public int QueuePosition { get; init; }

    /// <summary>True while the task waits in the queue for a slot.</summary>
    public bool Queued => QueuePosition > 0;

    /// <summary>Host-wide queue figures when the status was taken (<c>stats</c>).</summary>
    public TaskQueueStats Stats { get; init; } = new();

    /// <summary>The task's runtime configuration (<c>config</c>); only when asked for, else null.</summary>
    public TaskConfig? Config { get; init; }

    /// <summary>Retries and failed items (<c>retried</c> … <c>retryOf</c>): QStash's and DriveQuant's fields.</summary>
    public TaskRetries Retries { get; init; } = new();

    /// <summary>
    /// Objects a batch source has yet to produce or finish (<c>remainingCount</c>, DriveQuant's
    /// <c>nbRemainingItems</c>); null when the source does not know its total (a webhook).
    /// </summary>
    public long? RemainingCount { get; init; }

    /// <summary>How far along the task is and when it should end (<c>percent</c>, <c>eta</c>, <c>etaConfidence</c>, <c>recentRate</c>).</summary>
    public TaskProgress Progress { get; init; } = new();

    /// <summary>The most frequent error messages of the whole run, with counts, most frequent first (<c>errorSummary</c>).</summary>
    public IReadOnlyList<TaskErrorCount> ErrorSummary { get; init; } = [];

    /// <summary>The files the task's <c>writer</c> components produced (<c>outputs</c>); download them with <see cref="PipelineHostClient.DownloadOutputAsync"/>.</summary>
    public IReadOnlyList<TaskOutputFile> Outputs { get; init; } = [];

    /// <summary>The task's callback and its delivery attempts (<c>callback</c>); null when the task has none.</summary>
    public TaskCallback? Callback { get; init; }

    /// <summary>
    /// The status <c>version</c>: one more on every change of the task's status (not on a metrics sample alone);
    /// 0 from a server that does not send it. <see cref="PipelineHostClient.WaitForChangeAsync"/> waits past one.
    /// </summary>
    public long Version { get; init; }

    /// <summary>
    /// Why the task is not running yet (<c>pendingReason</c> with its <c>pending</c> details): queue full, waiting for
    /// its worker, or waiting for a retry's backoff; null when it is not waiting (or the server does not say).
    /// </summary>
    public TaskPending? Pending { get; init; }

    /// <summary>The status object as received, including fields this model does not know.</summary>
    public JsonObject Raw { get; init; } = [];

    /// <summary>Reads a TASK_STATUS object.</summary>
    public static TaskStatus FromJson(JsonObject status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var state = JsonFields.Int64(status, "state");
        return new TaskStatus
        {
            Name = JsonFields.StringOrEmpty(status, "name"),
            ProjectId = JsonFields.StringOrEmpty(status, "project_id"),
            Source = JsonFields.StringOrEmpty(status, "source"),
            Completed = JsonFields.Bool(status, "completed"),
            State = state is >= 0 and <= 6 ? (TaskState)state : TaskState.None,
            StartTime = UnixTime(JsonFields.Double(status, "startTime")),
            EndTime = UnixTime(JsonFields.Double(status, "endTime")),
            DebuggerAttached = JsonFields.Bool(status, "debuggerAttached"),
            Status = JsonFields.StringOrEmpty(status, "status"),
            Errors = JsonFields.Strings(status, "errors"),
            Warnings = JsonFields.Strings(status, "warnings"),
            Notes = status["notes"] is JsonArray notes ? notes.Select(n => n?.DeepClone()).ToList() : [],
            Counts = TaskCounts.FromJson(status),
            Rates = TaskRates.FromJson(status),
            ServiceUp = JsonFields.Bool(status, "serviceUp"),
            ExitCode = JsonFields.NullableInt64(status, "exitCode"),
            ExitMessage = JsonFields.StringOrEmpty(status, "exitMessage"),
            Pipeflow = TaskPipeflow.FromJson(JsonFields.Object(status, "pipeflow")),
            Metrics = TaskMetrics.FromJson(JsonFields.Object(status, "metrics")),
            Tokens = TaskTokens.FromJson(JsonFields.Object(status, "tokens")),
            StatusName = JsonFields.StringOrEmpty(status, "statusName"),
            ExitReason = JsonFields.String(status, "exitReason"),
            CreatedAt = IsoTime(JsonFields.String(status, "createdAt")),
            StartedAt = IsoTime(JsonFields.String(status, "startedAt")),
            CompletedAt = IsoTime(JsonFields.String(status, "completedAt")),
            QueuePosition = (int)JsonFields.Int64(status, "queuePosition"),
            Stats = TaskQueueStats.FromJson(JsonFields.Object(status, "stats")),
            Config = JsonFields.Object(status, "config") is { } config ? TaskConfig.FromJson(config) : null,
            Retries = TaskRetries.FromJson(status),
            RemainingCount = JsonFields.NullableInt64(status, "remainingCount"),
            Progress = TaskProgress.FromJson(status),
            ErrorSummary = Objects(status, "errorSummary").Select(TaskErrorCount.FromJson).ToList(),
            Outputs = Objects(status, "outputs").Select(TaskOutputFile.FromJson).ToList(),
            Callback = JsonFields.Object(status, "callback") is { } callback ? TaskCallback.FromJson(callback) : null,
            UpdatedAt = IsoTime(JsonFields.String(status, "updatedAt")),
            LastHeartbeatAt = IsoTime(JsonFields.String(status, "lastHeartbeatAt")),
            Version = JsonFields.Int64(status, "version"),
            Pending = TaskPending.FromJson(status),
            Raw = status,
        };
    }

    internal static IEnumerable<JsonObject> Objects(JsonObject? obj, string name) =>
        obj?[name] is JsonArray array ? array.OfType<JsonObject>() : [];

    private static DateTimeOffset? IsoTime(string? text) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    // The wire carries Unix seconds as a float, 0 meaning "not yet".
    private static DateTimeOffset? UnixTime(double seconds) =>
        seconds > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)) : null;
}

/// <summary>Why a task is not running yet (<c>pendingReason</c>, <c>pending</c>; protocol-spec/tasks.md §3).</summary>
public sealed record TaskPending
{
    /// <summary><c>queue_full</c>, <c>waiting_for_worker</c> or <c>retry_backoff</c>.</summary>
    public string Reason { get; init; } = string.Empty;

    /// <summary>queue_full: the 1-based queue position.</summary>
    public int Position { get; init; }

    /// <summary>queue_full: task slots taken.</summary>
    public int SlotsInUse { get; init; }

    /// <summary>queue_full: the server's task slots.</summary>
    public int Slots { get; init; }

    /// <summary>queue_full: when the task should start at the server's recent launch rate; null until it knows one.</summary>
    public DateTimeOffset? EstimatedStartAt { get; init; }

    /// <summary>waiting_for_worker: since when.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>retry_backoff: when the next attempt is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    internal static TaskPending? FromJson(JsonObject status)
    {
        if (JsonFields.String(status, "pendingReason") is not { Length: > 0 } reason)
        {
            return null;
        }

        var details = JsonFields.Object(status, "pending");
        return new TaskPending
        {
            Reason = reason,
            Position = (int)JsonFields.Int64(details, "position"),
            SlotsInUse = (int)JsonFields.Int64(details, "slotsInUse"),
            Slots = (int)JsonFields.Int64(details, "slots"),
            EstimatedStartAt = Time(JsonFields.String(details, "estimatedStartAt")),
            Since = Time(JsonFields.String(details, "since")),
            NextAttemptAt = Time(JsonFields.String(details, "nextAttemptAt")),
        };
    }

    private static DateTimeOffset? Time(string? iso) =>
        DateTimeOffset.TryParse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time) ? time : null;
}

/// <summary>
/// The progress fields of TASK_STATUS, computed by the server from the recent completion rate (protocol-spec/tasks.md §3).
/// </summary>
public sealed record TaskProgress
{
    /// <summary>0–100 of the known total (the source's, a retry's items, or <c>expectedCount</c>); null when there is none.</summary>
    public double? Percent { get; init; }

    /// <summary>When the task should have finished every object; null without a known total or a rate yet, and once ended.</summary>
    public DateTimeOffset? Eta { get; init; }

    /// <summary>0–1: how far to trust <see cref="Eta"/> (few samples or an unsteady rate lower it); null without one.</summary>
    public double? EtaConfidence { get; init; }

    /// <summary>Objects finished per second recently (exponentially weighted); null before the first measure.</summary>
    public double? RecentRate { get; init; }

    internal static TaskProgress FromJson(JsonObject status) => new()
    {
        Percent = Number(status, "percent"),
        Eta = DateTimeOffset.TryParse(JsonFields.String(status, "eta"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var eta) ? eta : null,
        EtaConfidence = Number(status, "etaConfidence"),
        RecentRate = Number(status, "recentRate"),
    };

    private static double? Number(JsonObject status, string name) =>
        status[name] is JsonValue value && JsonFields.TryNumber(value, out var number) ? number : null;
}

/// <summary>The retry fields of TASK_STATUS (protocol-spec/tasks.md §7).</summary>
public sealed record TaskRetries
{
    /// <summary>Retry attempts made so far (<c>retried</c>).</summary>
    public long Retried { get; init; }

    /// <summary>The task policy's <c>maxRetries</c> (<c>maxRetry</c>); 0 without a policy.</summary>
    public long MaxRetry { get; init; }

    /// <summary>When the next pending retry is due (<c>nextProcessAt</c>); null when none waits.</summary>
    public DateTimeOffset? NextProcessAt { get; init; }

    /// <summary>The most recent failure's message (<c>lastError</c>).</summary>
    public string? LastError { get; init; }

    /// <summary>When <see cref="LastError"/> happened (<c>lastErrorAt</c>).</summary>
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>Failed items kept for <see cref="PipelineHostClient.RetryFailedAsync"/> (<c>failedItems</c>).</summary>
    public long FailedItems { get; init; }

    /// <summary>For a retry task: the items it reprocesses (<c>nbItems</c>); else null.</summary>
    public long? NbItems { get; init; }

    /// <summary>For a retry task: items not yet processed (<c>nbRemainingItems</c>); else null.</summary>
    public long? NbRemainingItems { get; init; }

    /// <summary>For a retry task: the id of the task it retries (<c>retryOf</c>); else null.</summary>
    public string? RetryOf { get; init; }

    internal static TaskRetries FromJson(JsonObject status) => new()
    {
        Retried = JsonFields.Int64(status, "retried"),
        MaxRetry = JsonFields.Int64(status, "maxRetry"),
        NextProcessAt = Time(JsonFields.String(status, "nextProcessAt")),
        LastError = JsonFields.String(status, "lastError"),
        LastErrorAt = Time(JsonFields.String(status, "lastErrorAt")),
        FailedItems = JsonFields.Int64(status, "failedItems"),
        NbItems = JsonFields.NullableInt64(status, "nbItems"),
        NbRemainingItems = JsonFields.NullableInt64(status, "nbRemainingItems"),
        RetryOf = JsonFields.String(status, "retryOf"),
    };

    private static DateTimeOffset? Time(string? iso) =>
        DateTimeOffset.TryParse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time) ? time : null;
}

/// <summary>The counters of TASK_STATUS.</summary>
public sealed record TaskCounts
{
    /// <summary>The object being processed now (<c>currentObject</c>).</summary>
    public string? CurrentObject { get; init; }

    /// <summary>Its size in bytes.</summary>
    public long CurrentSize { get; init; }

    /// <summary>Bytes known to be coming (<c>totalSize</c>).</summary>
    public long TotalSize { get; init; }

    /// <summary>Objects known to be coming (<c>totalCount</c>).</summary>
    public long TotalCount { get; init; }

    /// <summary>Bytes of objects finished without error.</summary>
    public long CompletedSize { get; init; }

    /// <summary>Objects finished without error.</summary>
    public long CompletedCount { get; init; }

    /// <summary>Bytes of objects that failed.</summary>
    public long FailedSize { get; init; }

    /// <summary>Objects that failed.</summary>
    public long FailedCount { get; init; }

    /// <summary>Bytes of text the word counter saw.</summary>
    public long WordsSize { get; init; }

    /// <summary>Words counted.</summary>
    public long WordsCount { get; init; }

    internal static TaskCounts FromJson(JsonObject status) => new()
    {
        CurrentObject = JsonFields.String(status, "currentObject"),
        CurrentSize = JsonFields.Int64(status, "currentSize"),
        TotalSize = JsonFields.Int64(status, "totalSize"),
        TotalCount = JsonFields.Int64(status, "totalCount"),
        CompletedSize = JsonFields.Int64(status, "completedSize"),
        CompletedCount = JsonFields.Int64(status, "completedCount"),
        FailedSize = JsonFields.Int64(status, "failedSize"),
        FailedCount = JsonFields.Int64(status, "failedCount"),
        WordsSize = JsonFields.Int64(status, "wordsSize"),
        WordsCount = JsonFields.Int64(status, "wordsCount"),
    };
}

/// <summary>Throughput. The wire values (<c>rateSize</c>, <c>rateCount</c>) are hundredths per second, as RocketRide's engine reports them.</summary>
public sealed record TaskRates
{
    /// <summary>The raw <c>rateSize</c>: hundredths of a byte per second.</summary>
    public long RateSize { get; init; }

    /// <summary>The raw <c>rateCount</c>: hundredths of an object per second.</summary>
    public long RateCount { get; init; }

    /// <summary>Bytes per second.</summary>
    public double BytesPerSecond => RateSize / 100.0;

    /// <summary>Objects per second.</summary>
    public double ObjectsPerSecond => RateCount / 100.0;

    internal static TaskRates FromJson(JsonObject status) => new()
    {
        RateSize = JsonFields.Int64(status, "rateSize"),
        RateCount = JsonFields.Int64(status, "rateCount"),
    };
}

/// <summary>Which component each pipe is in (<c>pipeflow</c>).</summary>
public sealed record TaskPipeflow
{
    /// <summary>How many pipes the task has.</summary>
    public long TotalPipes { get; init; }

    /// <summary>Pipe index → component stack, as received.</summary>
    public JsonObject ByPipe { get; init; } = [];

    internal static TaskPipeflow FromJson(JsonObject? pipeflow) => new()
    {
        TotalPipes = JsonFields.Int64(pipeflow, "totalPipes"),
        ByPipe = JsonFields.Object(pipeflow, "byPipe")?.DeepClone().AsObject() ?? [],
    };
}

/// <summary>Resource use of the task's processes (<c>metrics</c>); current, peak and average.</summary>
public sealed record TaskMetrics
{
    /// <summary>CPU use now, 0–100 % of the machine.</summary>
    public double CpuPercent { get; init; }

    /// <summary>Resident memory now, MiB.</summary>
    public double CpuMemoryMb { get; init; }

    /// <summary>GPU memory now, MiB.</summary>
    public double GpuMemoryMb { get; init; }

    /// <summary>Highest CPU use seen.</summary>
    public double PeakCpuPercent { get; init; }

    /// <summary>Highest resident memory seen, MiB.</summary>
    public double PeakCpuMemoryMb { get; init; }

    /// <summary>Highest GPU memory seen, MiB.</summary>
    public double PeakGpuMemoryMb { get; init; }

    /// <summary>Average CPU use in percent of one core.</summary>
    public double AvgCpuPercent { get; init; }

    /// <summary>Average resident memory, MiB.</summary>
    public double AvgCpuMemoryMb { get; init; }

    /// <summary>Average GPU memory, MiB.</summary>
    public double AvgGpuMemoryMb { get; init; }

    internal static TaskMetrics FromJson(JsonObject? metrics) => new()
    {
        CpuPercent = JsonFields.Double(metrics, "cpu_percent"),
        CpuMemoryMb = JsonFields.Double(metrics, "cpu_memory_mb"),
        GpuMemoryMb = JsonFields.Double(metrics, "gpu_memory_mb"),
        PeakCpuPercent = JsonFields.Double(metrics, "peak_cpu_percent"),
        PeakCpuMemoryMb = JsonFields.Double(metrics, "peak_cpu_memory_mb"),
        PeakGpuMemoryMb = JsonFields.Double(metrics, "peak_gpu_memory_mb"),
        AvgCpuPercent = JsonFields.Double(metrics, "avg_cpu_percent"),
        AvgCpuMemoryMb = JsonFields.Double(metrics, "avg_cpu_memory_mb"),
        AvgGpuMemoryMb = JsonFields.Double(metrics, "avg_gpu_memory_mb"),
    };
}

/// <summary>Cumulative billing units (<c>tokens</c>); 100 tokens = 1 dollar in RocketRide's model.</summary>
public sealed record TaskTokens
{
    /// <summary>For CPU time.</summary>
    public double CpuUtilization { get; init; }

    /// <summary>For resident memory over time.</summary>
    public double CpuMemory { get; init; }

    /// <summary>For GPU memory over time.</summary>
    public double GpuMemory { get; init; }

    /// <summary>For GPU inference time.</summary>
    public double GpuInference { get; init; }

    /// <summary>Component-defined units by name.</summary>
    public IReadOnlyDictionary<string, double> Custom { get; init; } = new Dictionary<string, double>();

    /// <summary>The sum.</summary>
    public double Total { get; init; }

    internal static TaskTokens FromJson(JsonObject? tokens)
    {
        var custom = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in JsonFields.Object(tokens, "custom") ?? [])
        {
            if (value is JsonValue v && JsonFields.TryNumber(v, out var number))
            {
                custom[name] = number;
            }
        }

        return new TaskTokens
        {
            CpuUtilization = JsonFields.Double(tokens, "cpu_utilization"),
            CpuMemory = JsonFields.Double(tokens, "cpu_memory"),
            GpuMemory = JsonFields.Double(tokens, "gpu_memory"),
            GpuInference = JsonFields.Double(tokens, "gpu_inference"),
            Custom = custom,
            Total = JsonFields.Double(tokens, "total"),
        };
    }
}

/// <summary>One entry of <c>errorSummary</c>: an error message and how often it occurred in the run.</summary>
public sealed record TaskErrorCount(string Message, long Count)
{
    internal static TaskErrorCount FromJson(JsonObject entry) => new(JsonFields.StringOrEmpty(entry, "message"), JsonFields.Int64(entry, "count"));
}

/// <summary>One entry of <c>outputs</c>: a file a <c>writer</c> produced.</summary>
public sealed record TaskOutputFile(string Name, long Size, string ContentType)
{
    internal static TaskOutputFile FromJson(JsonObject entry) => new(
        JsonFields.StringOrEmpty(entry, "name"),
        JsonFields.Int64(entry, "size"),
        JsonFields.String(entry, "contentType") ?? "application/octet-stream");
}

/// <summary>The <c>callback</c> of a status: where the final status goes (masked) and how delivering it went.</summary>
public sealed record TaskCallback
{
    /// <summary>The URL, its query string and user info masked as <c>***</c>.</summary>
    public string Url { get; init; } = string.Empty;

    /// <summary><c>pending</c>, <c>delivered</c> or <c>failed</c>.</summary>
    public string State { get; init; } = string.Empty;

    /// <summary>The attempts so far, oldest first.</summary>
    public IReadOnlyList<TaskCallbackAttempt> Attempts { get; init; } = [];

    internal static TaskCallback FromJson(JsonObject callback) => new()
    {
        Url = JsonFields.StringOrEmpty(callback, "url"),
        State = JsonFields.StringOrEmpty(callback, "state"),
        Attempts = TaskStatus.Objects(callback, "attempts").Select(TaskCallbackAttempt.FromJson).ToList(),
    };
}

/// <summary>One POST of a callback.</summary>
/// <param name="Attempt">1-based.</param>
/// <param name="At">When it started.</param>
/// <param name="StatusCode">The receiver's HTTP status; null when none came.</param>
/// <param name="Error">Why no response came; null when one did.</param>
/// <param name="Duration">How long it took.</param>
public sealed record TaskCallbackAttempt(int Attempt, DateTimeOffset? At, int? StatusCode, string? Error, TimeSpan Duration)
{
    internal static TaskCallbackAttempt FromJson(JsonObject attempt) => new(
        (int)JsonFields.Int64(attempt, "attempt"),
        DateTimeOffset.TryParse(JsonFields.String(attempt, "at"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null,
        JsonFields.NullableInt64(attempt, "statusCode") is { } code ? (int)code : null,
        JsonFields.String(attempt, "error"),
        TimeSpan.FromMilliseconds(JsonFields.Int64(attempt, "durationMs")));
}

/// <summary>Host-wide queue figures (<c>stats</c>), as of the status they came with.</summary>
public sealed record TaskQueueStats
{
    /// <summary>Tasks waiting for a slot (<c>queueDepth</c>).</summary>
    public int QueueDepth { get; init; }

    /// <summary>Tasks holding a slot: left the queue and not yet final (<c>activeWorkers</c>).</summary>
    public int ActiveWorkers { get; init; }

    internal static TaskQueueStats FromJson(JsonObject? stats) => new()
    {
        QueueDepth = (int)JsonFields.Int64(stats, "queueDepth"),
        ActiveWorkers = (int)JsonFields.Int64(stats, "activeWorkers"),
    };
}

/// <summary>A task's runtime configuration (<c>config</c>, returned on request).</summary>
public sealed record TaskConfig
{
    /// <summary>Data pipes the task may have open at once.</summary>
    public int Threads { get; init; }

    /// <summary>Idle time after which the task is stopped; zero means never.</summary>
    public TimeSpan Ttl { get; init; }

    /// <summary>How long the task may run from leaving the queue; zero means no limit.</summary>
    public TimeSpan Timeout { get; init; }

    /// <summary>How long the task may wait in the queue; zero means no limit.</summary>
    public TimeSpan Expires { get; init; }

    /// <summary>The pipeline trace level; null when off.</summary>
    public string? TraceLevel { get; init; }

    /// <summary>The object as received, including fields this model does not know.</summary>
    public JsonObject Raw { get; init; } = [];

    internal static TaskConfig FromJson(JsonObject config) => new()
    {
        Threads = (int)JsonFields.Int64(config, "threads"),
        Ttl = TimeSpan.FromSeconds(JsonFields.Double(config, "ttl")),
        Timeout = TimeSpan.FromSeconds(JsonFields.Double(config, "timeout")),
        Expires = TimeSpan.FromSeconds(JsonFields.Double(config, "expires")),
        TraceLevel = JsonFields.String(config, "traceLevel"),
        Raw = config,
    };
}
