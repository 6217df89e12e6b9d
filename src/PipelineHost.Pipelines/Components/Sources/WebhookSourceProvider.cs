using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Sources;

/// <summary>
/// The service-style source: objects arrive from clients (<c>rrext_process</c>, <c>POST /task/data</c>,
/// <c>POST /webhook</c>) and the task runs until it is terminated or idle past its TTL.
/// </summary>
public sealed class WebhookSourceProvider : IComponentProvider
{
    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: "webhook",
        Title: "Webhook",
        Description: "Accepts objects sent by clients over the WebSocket data path or HTTP and emits their bytes on 'tags' and, for text/* types, their text on 'text'.",
        ClassTypes: ["source"],
        Lanes: new Dictionary<string, IReadOnlyList<string>> { [LaneNames.SourceInput] = LaneNames.All },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["mode"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("Source") },
                ["type"] = new JsonObject { ["type"] = "string" },
            },
        })
    {
        Source = SourceKind.Service,
        Capabilities = ["streaming"],
        Example = JsonNode.Parse("""{"id":"webhook_1","provider":"webhook","config":{"mode":"Source"}}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment) => new Webhook();

    private sealed class Webhook : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new SourceProcessor(context);
    }
}
