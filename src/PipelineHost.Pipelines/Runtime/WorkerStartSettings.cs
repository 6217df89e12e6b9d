using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>What the host tells a worker in <see cref="StartTask"/>.</summary>
/// <param name="Pipeline">The flat pipeline with placeholders already resolved. Never logged.</param>
/// <param name="Source">The source component id.</param>
/// <param name="Threads">How many objects may be open at once.</param>
/// <param name="Environment">Host settings components depend on.</param>
/// <param name="ComponentsDirectory">The components folder whose plug-ins the worker loads; null: built-ins only.</param>
public sealed record WorkerStartSettings(JsonObject Pipeline, string Source, int Threads, ComponentEnvironment Environment, string? ComponentsDirectory)
{
    /// <summary>Default of <see cref="FailedItemMaxBytes"/>: 16 MiB.</summary>
    public const long DefaultFailedItemMaxBytes = 16L * 1024 * 1024;

    /// <summary>Default of <see cref="FailedTaskMaxBytes"/>: 256 MiB.</summary>
    public const long DefaultFailedTaskMaxBytes = 256L * 1024 * 1024;

    /// <summary>The task's retry policy (the <c>execute</c> argument, else the pipeline's); null: none.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Where the task keeps its failed items; null: they are not kept.</summary>
    public string? FailedDirectory { get; init; }

    /// <summary>Largest input kept for one failed item (and buffered for replaying a data-path object).</summary>
    public long FailedItemMaxBytes { get; init; } = DefaultFailedItemMaxBytes;

    /// <summary>Largest total input kept for all of the task's failed items.</summary>
    public long FailedTaskMaxBytes { get; init; } = DefaultFailedTaskMaxBytes;

    /// <summary>Which <see cref="FlowRecord"/>s the worker sends; none unless the task asked.</summary>
    public FlowTraceLevel TraceLevel { get; init; }

    /// <summary>
    /// The task's process environment variables, exactly (the worker's own and so its programs'); null: keep the one
    /// the worker was started with. Only a worker started before its task (a pool worker) needs it. Never logged.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ProcessEnvironment { get; init; }

    /// <summary>The task span's W3C <c>traceparent</c>; null: not traced.</summary>
    public string? TraceParent { get; init; }

    /// <summary>How often the worker sends a heartbeat; zero: never.</summary>
    public TimeSpan HeartbeatInterval { get; init; }

    /// <summary>The <see cref="StartTask"/> settings.</summary>
    public StartSettings ToMessage() => new(
        WorkerJson.Encode(Pipeline),
        Source,
        Threads,
        new ComponentSettings(
            [.. Environment.AllowedRoots],
            [.. Environment.ExecAllowList],
            Environment.OutputDirectory,
            Environment.RetryInputDirectory,
            Environment.OutputQuota.TaskMaxBytes,
            Environment.OutputQuota.ObjectMaxBytes),
        ComponentsDirectory,
        TraceLevel.ToWire(),
        Retry is null ? null : WorkerJson.Encode(Retry.ToJson()),
        FailedDirectory,
        FailedItemMaxBytes,
        FailedTaskMaxBytes,
        TraceParent,
        ProcessEnvironment,
        (int)Math.Min(HeartbeatInterval.TotalMilliseconds, int.MaxValue));

    /// <summary>Reads the <see cref="StartTask"/> settings.</summary>
    /// <exception cref="FormatException">The pipeline or the retry policy is not what the host sends.</exception>
    public static WorkerStartSettings FromMessage(StartSettings message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var environment = message.Environment;
        return new WorkerStartSettings(
            ParseObject(message.Pipeline, "pipeline") ?? throw new FormatException("start needs 'pipeline'"),
            message.Source,
            message.Threads,
            new ComponentEnvironment
            {
                AllowedRoots = [.. environment.AllowedRoots],
                ExecAllowList = [.. environment.ExecAllowList],
                OutputDirectory = environment.OutputDirectory,
                RetryInputDirectory = environment.RetryInputDirectory,
                OutputQuota = new OutputQuota(environment.OutputTaskMaxBytes, environment.OutputObjectMaxBytes),
            },
            message.ComponentsDirectory)
        {
            Retry = RetryPolicy.Parse(ParseObject(message.Retry, "retry"), "start 'retry'", out var error) is { } policy
                ? policy
                : error is null ? null : throw new FormatException(error),
            FailedDirectory = message.FailedDirectory,
            FailedItemMaxBytes = message.FailedItemMaxBytes,
            FailedTaskMaxBytes = message.FailedTaskMaxBytes,
            TraceLevel = FlowTraceLevels.Parse(message.TraceLevel),
            TraceParent = message.TraceParent,
            ProcessEnvironment = message.ProcessEnvironment,
            HeartbeatInterval = TimeSpan.FromMilliseconds(Math.Max(0, message.HeartbeatIntervalMs)),
        };
    }

    private static JsonObject? ParseObject(byte[]? json, string field)
    {
        try
        {
            return json is null ? null : WorkerJson.ParseObject(json, field);
        }
        catch (WorkerProtocolException ex)
        {
            throw new FormatException($"start {ex.Message}", ex);
        }
    }
}

