using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Sinks;

/// <summary>
/// Returns its input lanes to the caller in the pipe's <c>close</c> body: one field per lane plus
/// <c>result_types</c>. Text written in several chunks arrives as one string, each chunk followed by a blank
/// line, exactly as the reference engine returns it. With <c>sse: true</c> each text item is also pushed as an
/// <c>apaevt_sse</c> <c>text</c> event the moment it arrives, for UIs that show results while they are produced.
/// </summary>
public sealed class ResponseSinkProvider : IComponentProvider
{
    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: "response",
        Title: "Response",
        Description: "Returns whatever reaches it to the client that sent the object, one result field per lane.",
        ClassTypes: ["sink"],
        Lanes: LaneNames.All.ToDictionary(l => l, _ => (IReadOnlyList<string>)[], StringComparer.Ordinal),
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["lanes"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
                ["sse"] = new JsonObject
                {
                    ["type"] = "boolean",
                    ["default"] = false,
                    ["description"] = "Also push each text item to SSE subscribers as it arrives: apaevt_sse {type:\"text\", data:{lane, text}}.",
                },
            },
        })
    {
        Example = JsonNode.Parse("""{"id":"response_1","provider":"response","config":{},"input":[{"lane":"text","from":"webhook_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment) =>
        new Response(config["sse"]?.GetValueKind() == System.Text.Json.JsonValueKind.True);

    private sealed class Response(bool sse) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(context, sse);
    }

    private sealed class Processor(ObjectContext context, bool sse) : IObjectProcessor
    {
        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            var result = context.Result;
            if (payload is TextPayload text)
            {
                if (text.Utf8 is { } utf8)
                {
                    result.AppendUtf8(lane, utf8.Span); // already UTF-8, as the result keeps it: no string needed
                }
                else
                {
                    result.AppendText(lane, text.Text);
                }

                result.AppendText(lane, "\n\n"); // not concatenated first: that would copy every chunk once more
                if (sse)
                {
                    context.MonitorSse("text", new JsonObject { ["lane"] = lane, ["text"] = text.Text });
                }
            }
            else if (payload is DocumentsPayload or ClassificationsPayload && LanePayloadJson.ToJson(payload) is JsonArray items)
            {
                result.Declare(lane, lane);
                foreach (var item in items.ToList())
                {
                    items.Remove(item);
                    result.Add(lane, lane, item);
                }
            }
            else
            {
                result.Add(lane, lane, LanePayloadJson.ToJson(payload));
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
