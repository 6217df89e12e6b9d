using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>What the host tells a worker in <see cref="WorkerProtocol.Start"/>.</summary>
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

    /// <summary>Which <see cref="WorkerProtocol.FlowEvent"/> records the worker sends; none unless the task asked.</summary>
    public FlowTraceLevel TraceLevel { get; init; }

    /// <summary>
    /// The task's process environment variables, exactly (the worker's own and so its programs'); null: keep the one
    /// the worker was started with. Only a worker started before its task (a pool worker) needs it. Never logged.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ProcessEnvironment { get; init; }

    /// <summary>The task span's W3C <c>traceparent</c> (<see cref="WorkerProtocol.TraceParentProperty"/>); null: not traced.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The <c>start</c> arguments.</summary>
    public JsonObject ToJson()
    {
        var arguments = new JsonObject
        {
            ["pipeline"] = Pipeline.DeepClone(),
            ["source"] = Source,
            ["threads"] = Threads,
            ["componentsDirectory"] = ComponentsDirectory,
            ["traceLevel"] = TraceLevel.ToWire(),
            ["environment"] = new JsonObject
            {
                ["allowedRoots"] = new JsonArray(Environment.AllowedRoots.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
                ["execAllowList"] = new JsonArray(Environment.ExecAllowList.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
                ["outputDirectory"] = Environment.OutputDirectory,
                ["retryInputDirectory"] = Environment.RetryInputDirectory,
                ["outputTaskMaxBytes"] = Environment.OutputQuota.TaskMaxBytes,
                ["outputObjectMaxBytes"] = Environment.OutputQuota.ObjectMaxBytes,
            },
            ["retry"] = Retry?.ToJson(),
            ["failedDirectory"] = FailedDirectory,
            ["failedItemMaxBytes"] = FailedItemMaxBytes,
            ["failedTaskMaxBytes"] = FailedTaskMaxBytes,
        };
        if (TraceParent is not null)
        {
            arguments[WorkerProtocol.TraceParentProperty] = TraceParent;
        }

        if (ProcessEnvironment is { } variables)
        {
            arguments["processEnvironment"] = new JsonObject(variables.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)JsonValue.Create(v.Value))));
        }

        return arguments;
    }

    /// <summary>Reads the <c>start</c> arguments.</summary>
    public static WorkerStartSettings FromJson(JsonObject arguments)
    {
        var environment = arguments["environment"] as JsonObject ?? [];
        return new WorkerStartSettings(
            arguments["pipeline"] as JsonObject ?? throw new FormatException("start needs 'pipeline'"),
            arguments["source"]?.GetValue<string>() ?? throw new FormatException("start needs 'source'"),
            arguments["threads"]?.GetValue<int>() ?? 4,
            new ComponentEnvironment
            {
                AllowedRoots = Strings(environment["allowedRoots"]),
                ExecAllowList = Strings(environment["execAllowList"]),
                OutputDirectory = environment["outputDirectory"]?.GetValue<string>() ?? Path.GetTempPath(),
                RetryInputDirectory = environment["retryInputDirectory"]?.GetValue<string>(),
                OutputQuota = new OutputQuota(
                    environment["outputTaskMaxBytes"]?.GetValue<long>() ?? OutputQuota.DefaultTaskMaxBytes,
                    environment["outputObjectMaxBytes"]?.GetValue<long>() ?? OutputQuota.DefaultObjectMaxBytes),
            },
            arguments["componentsDirectory"]?.GetValueKind() == JsonValueKind.String ? arguments["componentsDirectory"]!.GetValue<string>() : null)
        {
            Retry = RetryPolicy.Parse(arguments["retry"], "start 'retry'", out var error) is { } policy
                ? policy
                : error is null ? null : throw new FormatException(error),
            FailedDirectory = arguments["failedDirectory"]?.GetValue<string>(),
            FailedItemMaxBytes = arguments["failedItemMaxBytes"]?.GetValue<long>() ?? DefaultFailedItemMaxBytes,
            FailedTaskMaxBytes = arguments["failedTaskMaxBytes"]?.GetValue<long>() ?? DefaultFailedTaskMaxBytes,
            TraceLevel = FlowTraceLevels.Parse(arguments["traceLevel"]?.GetValueKind() == JsonValueKind.String ? arguments["traceLevel"]!.GetValue<string>() : null),
            TraceParent = arguments[WorkerProtocol.TraceParentProperty]?.GetValue<string>(),
            ProcessEnvironment = arguments["processEnvironment"] is JsonObject variables
                ? variables.ToDictionary(v => v.Key, v => v.Value?.GetValue<string>() ?? string.Empty, StringComparer.Ordinal)
                : null,
        };
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n!.GetValue<string>()).ToList() : [];
}
