using System.Text.Json.Serialization;

namespace PipelineHost.Benchmarks.Baselines;

// The codec baseline: the same envelopes as plain classes, serialized by System.Text.Json's source generator.

public sealed class RequestArgumentsPoco
{
    [JsonPropertyName("token")] public string? Token { get; set; }
}

public sealed class RequestPoco
{
    [JsonPropertyName("type")] public string Type { get; set; } = "request";
    [JsonPropertyName("seq")] public long Seq { get; set; }
    [JsonPropertyName("command")] public string Command { get; set; } = string.Empty;
    [JsonPropertyName("arguments")] public RequestArgumentsPoco? Arguments { get; set; }
}

public sealed class ResponsePoco
{
    [JsonPropertyName("type")] public string Type { get; set; } = "response";
    [JsonPropertyName("seq")] public long Seq { get; set; }
    [JsonPropertyName("request_seq")] public long RequestSeq { get; set; }
    [JsonPropertyName("command")] public string Command { get; set; } = string.Empty;
    [JsonPropertyName("success")] public bool Success { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("body")] public TaskStatusPoco? Body { get; set; }
}

public sealed class PipeflowPoco
{
    [JsonPropertyName("totalPipes")] public int TotalPipes { get; set; }
    [JsonPropertyName("byPipe")] public Dictionary<string, List<string>> ByPipe { get; set; } = [];
}

public sealed class MetricsPoco
{
    [JsonPropertyName("cpu_percent")] public double CpuPercent { get; set; }
    [JsonPropertyName("cpu_memory_mb")] public double CpuMemoryMb { get; set; }
    [JsonPropertyName("gpu_memory_mb")] public double GpuMemoryMb { get; set; }
    [JsonPropertyName("peak_cpu_percent")] public double PeakCpuPercent { get; set; }
    [JsonPropertyName("peak_cpu_memory_mb")] public double PeakCpuMemoryMb { get; set; }
    [JsonPropertyName("peak_gpu_memory_mb")] public double PeakGpuMemoryMb { get; set; }
    [JsonPropertyName("avg_cpu_percent")] public double AvgCpuPercent { get; set; }
    [JsonPropertyName("avg_cpu_memory_mb")] public double AvgCpuMemoryMb { get; set; }
    [JsonPropertyName("avg_gpu_memory_mb")] public double AvgGpuMemoryMb { get; set; }
}

public sealed class TokensPoco
{
    [JsonPropertyName("cpu_utilization")] public double CpuUtilization { get; set; }
    [JsonPropertyName("cpu_memory")] public double CpuMemory { get; set; }
    [JsonPropertyName("gpu_memory")] public double GpuMemory { get; set; }
    [JsonPropertyName("gpu_inference")] public double GpuInference { get; set; }
    [JsonPropertyName("custom")] public Dictionary<string, double> Custom { get; set; } = [];
    [JsonPropertyName("total")] public double Total { get; set; }
}

/// <summary>TASK_STATUS field for field as TaskStatusWriter.Placeholder writes it.</summary>
public sealed class TaskStatusPoco
{
    [JsonPropertyName("name")] public string Name { get; set; } = string.Empty;
    [JsonPropertyName("project_id")] public string ProjectId { get; set; } = string.Empty;
    [JsonPropertyName("source")] public string Source { get; set; } = string.Empty;
    [JsonPropertyName("completed")] public bool Completed { get; set; }
    [JsonPropertyName("state")] public int State { get; set; }
    [JsonPropertyName("startTime")] public double StartTime { get; set; }
    [JsonPropertyName("endTime")] public double EndTime { get; set; }
    [JsonPropertyName("debuggerAttached")] public bool DebuggerAttached { get; set; }
    [JsonPropertyName("status")] public string Status { get; set; } = string.Empty;
    [JsonPropertyName("warnings")] public List<string> Warnings { get; set; } = [];
    [JsonPropertyName("errors")] public List<string> Errors { get; set; } = [];
    [JsonPropertyName("notes")] public List<string> Notes { get; set; } = [];
    [JsonPropertyName("currentObject")] public string CurrentObject { get; set; } = string.Empty;
    [JsonPropertyName("currentSize")] public long CurrentSize { get; set; }
    [JsonPropertyName("totalSize")] public long TotalSize { get; set; }
    [JsonPropertyName("totalCount")] public long TotalCount { get; set; }
    [JsonPropertyName("completedSize")] public long CompletedSize { get; set; }
    [JsonPropertyName("completedCount")] public long CompletedCount { get; set; }
    [JsonPropertyName("failedSize")] public long FailedSize { get; set; }
    [JsonPropertyName("failedCount")] public long FailedCount { get; set; }
    [JsonPropertyName("wordsSize")] public long WordsSize { get; set; }
    [JsonPropertyName("wordsCount")] public long WordsCount { get; set; }
    [JsonPropertyName("rateSize")] public long RateSize { get; set; }
    [JsonPropertyName("rateCount")] public long RateCount { get; set; }
    [JsonPropertyName("serviceUp")] public bool ServiceUp { get; set; }
    [JsonPropertyName("exitCode")] public int ExitCode { get; set; }
    [JsonPropertyName("exitMessage")] public string ExitMessage { get; set; } = string.Empty;
    [JsonPropertyName("pipeflow")] public PipeflowPoco Pipeflow { get; set; } = new();
    [JsonPropertyName("metrics")] public MetricsPoco Metrics { get; set; } = new();
    [JsonPropertyName("tokens")] public TokensPoco Tokens { get; set; } = new();
    [JsonPropertyName("id")] public string Id { get; set; } = string.Empty;
    [JsonPropertyName("provider")] public string Provider { get; set; } = string.Empty;
    [JsonPropertyName("taskType")] public string TaskType { get; set; } = string.Empty;

    // PipelineHost's additions (tasks.md §3); nulls are written, as the subject writes them.
    [JsonPropertyName("statusName")] public string StatusName { get; set; } = string.Empty;
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("exitReason")] public string? ExitReason { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("createdAt")] public string? CreatedAt { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("startedAt")] public string? StartedAt { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("completedAt")] public string? CompletedAt { get; set; }
    [JsonPropertyName("queuePosition")] public int QueuePosition { get; set; }
    [JsonPropertyName("stats")] public QueueStatsPoco Stats { get; set; } = new();
    [JsonPropertyName("retried")] public long Retried { get; set; }
    [JsonPropertyName("maxRetry")] public int MaxRetry { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("nextProcessAt")] public string? NextProcessAt { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("lastError")] public string? LastError { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("lastErrorAt")] public string? LastErrorAt { get; set; }
    [JsonPropertyName("failedItems")] public long FailedItems { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("nbItems")] public long? NbItems { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("nbRemainingItems")] public long? NbRemainingItems { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("retryOf")] public string? RetryOf { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("remainingCount")] public long? RemainingCount { get; set; }
    [JsonPropertyName("errorSummary")] public List<ErrorCountPoco> ErrorSummary { get; set; } = [];
    [JsonPropertyName("outputs")] public List<OutputPoco> Outputs { get; set; } = [];
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("callback")] public CallbackPoco? Callback { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] [JsonPropertyName("updatedAt")] public string? UpdatedAt { get; set; }
}

public sealed class QueueStatsPoco
{
    [JsonPropertyName("queueDepth")] public int QueueDepth { get; set; }
    [JsonPropertyName("activeWorkers")] public int ActiveWorkers { get; set; }
}

public sealed class ErrorCountPoco
{
    [JsonPropertyName("message")] public string Message { get; set; } = string.Empty;
    [JsonPropertyName("count")] public long Count { get; set; }
}

public sealed class OutputPoco
{
    [JsonPropertyName("name")] public string Name { get; set; } = string.Empty;
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("contentType")] public string ContentType { get; set; } = string.Empty;
}

public sealed class CallbackPoco
{
    [JsonPropertyName("url")] public string Url { get; set; } = string.Empty;
    [JsonPropertyName("state")] public string State { get; set; } = string.Empty;
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RequestPoco))]
[JsonSerializable(typeof(ResponsePoco))]
public sealed partial class BaselineJsonContext : JsonSerializerContext;
