using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Passes on only the items that satisfy every given condition: <c>keep</c> must match, <c>drop</c> must not,
/// and the size (UTF-8 bytes) must be within <c>minSize</c>..<c>maxSize</c>. Documents are judged one by one;
/// bytes on <c>tags</c> only by size.
/// </summary>
public sealed class FilterProvider : IComponentProvider
{
    private const string Name = "filter";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Filter",
        Description: "Drops text items, documents and byte chunks that do not satisfy the keep/drop patterns and size limits.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Text] = [LaneNames.Text],
            [LaneNames.Documents] = [LaneNames.Documents],
            [LaneNames.Tags] = [LaneNames.Tags],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["keep"] = new JsonObject { ["type"] = "string", ["description"] = "Regex an item's text must contain a match of." },
                ["drop"] = new JsonObject { ["type"] = "string", ["description"] = "Regex an item's text must not contain a match of." },
                ["minSize"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["description"] = "Smallest size kept, in UTF-8 bytes." },
                ["maxSize"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["description"] = "Largest size kept, in UTF-8 bytes." },
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"filter_1","provider":"filter","config":{"drop":"(?i)\\bconfidential\\b","minSize":20},"input":[{"lane":"documents","from":"chunks_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var keep = ConfigValues.GetString(config, Name, "keep") is { } k ? ComponentRegex.Create(Name, "keep", k) : null;
        var drop = ConfigValues.GetString(config, Name, "drop") is { } d ? ComponentRegex.Create(Name, "drop", d) : null;
        var minSize = ConfigValues.GetOptionalInt64(config, Name, "minSize", min: 0);
        var maxSize = ConfigValues.GetOptionalInt64(config, Name, "maxSize", min: 0);
        return new Filter(keep, drop, minSize, maxSize);
    }

    private sealed class Filter(Regex? keep, Regex? drop, long? minSize, long? maxSize) : IComponent, IObjectProcessor
    {
        // Stateless per object, so one instance serves them all.
        public IObjectProcessor Begin(ObjectContext context) => this;

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            switch (payload)
            {
                case TextPayload text when Passes(text.Text):
                    await output.EmitAsync(LaneNames.Text, text, cancellationToken).ConfigureAwait(false);
                    break;
                case DocumentsPayload documents:
                    var kept = documents.Documents.Where(d => Passes(d.Text)).ToList();
                    if (kept.Count == documents.Documents.Count)
                    {
                        await output.EmitAsync(LaneNames.Documents, documents, cancellationToken).ConfigureAwait(false);
                    }
                    else if (kept.Count > 0)
                    {
                        await output.EmitAsync(LaneNames.Documents, new DocumentsPayload(kept), cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case BytesPayload bytes when SizeOk(bytes.Size):
                    await output.EmitAsync(LaneNames.Tags, bytes, cancellationToken).ConfigureAwait(false);
                    break;
                case TextPayload or BytesPayload:
                    break;
                default:
                    throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; filter reads 'text', 'documents' and 'tags'.");
            }
        }

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        private bool Passes(string text) =>
            SizeOk(Encoding.UTF8.GetByteCount(text)) &&
            (keep is null || ComponentRegex.Run(Name, keep, r => r.IsMatch(text))) &&
            (drop is null || !ComponentRegex.Run(Name, drop, r => r.IsMatch(text)));

        private bool SizeOk(long size) => (minSize is null || size >= minSize) && (maxSize is null || size <= maxSize);
    }
}
