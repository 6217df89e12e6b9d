using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>What the host tells a worker in <see cref="WorkerProtocol.Start"/>.</summary>
/// <param name="Pipeline">The flat pipeline with placeholders already resolved. Never logged.</param>
/// <param name="Source">The source component id.</param>
/// <param name="Threads">How many objects may be open at once.</param>
/// <param name="Environment">Host settings components depend on.</param>
/// <param name="TestComponents">True to enable the test-only providers (<c>fault</c>).</param>
public sealed record WorkerStartSettings(JsonObject Pipeline, string Source, int Threads, ComponentEnvironment Environment, bool TestComponents)
{
    /// <summary>Which <see cref="WorkerProtocol.FlowEvent"/> records the worker sends; none unless the task asked.</summary>
    public FlowTraceLevel TraceLevel { get; init; }

    /// <summary>The <c>start</c> arguments.</summary>
    public JsonObject ToJson() => new()
    {
        ["pipeline"] = Pipeline.DeepClone(),
        ["source"] = Source,
        ["threads"] = Threads,
        ["testComponents"] = TestComponents,
        ["traceLevel"] = TraceLevel.ToWire(),
        ["environment"] = new JsonObject
        {
            ["allowedRoots"] = new JsonArray(Environment.AllowedRoots.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
            ["execAllowList"] = new JsonArray(Environment.ExecAllowList.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
            ["outputDirectory"] = Environment.OutputDirectory,
        },
    };

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
            },
            arguments["testComponents"]?.GetValueKind() == JsonValueKind.True)
        {
            TraceLevel = FlowTraceLevels.Parse(arguments["traceLevel"]?.GetValueKind() == JsonValueKind.String ? arguments["traceLevel"]!.GetValue<string>() : null),
        };
    }

    private static List<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n!.GetValue<string>()).ToList() : [];
}
