using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components.Transforms.Parsing;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Reads an object's bytes as the document they are (see <see cref="DocumentSniffer"/>) with a maintained library
/// per format, and emits what it finds on RocketRide's lanes: text, tables, per-page/sheet/slide documents,
/// images, audio and video. Buffers the whole object and parses on close. Archive entries and e-mail attachments
/// become child objects that this component parses in turn. An object it cannot read (damaged, encrypted, a
/// compression bomb) fails with a message naming it; the task goes on with the next.
/// </summary>
public sealed class ParseProvider : IComponentProvider
{
    private const string Name = "parse";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Parse",
        Description: "Reads the bytes on 'tags' as the document they are, by MIME type, name and content: text in any common encoding, JSON, XML, CSV (a table), HTML, Markdown, PDF (text per page, images), DOCX, XLSX (a table per sheet), PPTX, e-mail with its attachments (each a child object), ZIP/TAR/GZ/7z archives with their entries (each a child object), images (with dimensions), audio and video. Other types pass through on 'tags' with a warning.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Tags] = [LaneNames.Text, LaneNames.Table, LaneNames.Documents, LaneNames.Image, LaneNames.Audio, LaneNames.Video, LaneNames.Tags],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["delimiter"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["maxLength"] = 1, ["description"] = "CSV field delimiter (one character); detected when absent." },
                ["maxEntries"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["default"] = ParseLimits.Default.MaxEntries, ["description"] = "The most archive entries and attachments one object may hold, all levels together." },
                ["maxExpandedBytes"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["default"] = ParseLimits.Default.MaxExpandedBytes, ["description"] = "The most bytes an object's archives and attachments may expand to." },
                ["maxDepth"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 16, ["default"] = ParseLimits.Default.MaxDepth, ["description"] = "How many archives or messages deep parsing goes." },
                ["maxRatio"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["default"] = ParseLimits.Default.MaxRatio, ["description"] = "The most times an archive's or message's entries may expand its own size (checked past 1 MiB): a zip bomb's ratio." },
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"parse_1","provider":"parse","config":{},"input":[{"lane":"tags","from":"webhook_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var delimiter = ConfigValues.GetString(config, Name, "delimiter", null);
        if (delimiter is not null && (delimiter.Length != 1 || delimiter[0] is '"' or '\r' or '\n'))
        {
            throw new ComponentConfigException($"{Name}: config.delimiter must be one character other than a quote or a line break.");
        }

        var limits = new ParseLimits(
            ConfigValues.GetInt32(config, Name, "maxEntries", ParseLimits.Default.MaxEntries, min: 1),
            ConfigValues.GetInt64(config, Name, "maxExpandedBytes", ParseLimits.Default.MaxExpandedBytes, min: 1),
            ConfigValues.GetInt32(config, Name, "maxDepth", ParseLimits.Default.MaxDepth, min: 1, max: 16),
            ConfigValues.GetInt32(config, Name, "maxRatio", ParseLimits.Default.MaxRatio, min: 1));
        return new Parse(delimiter, limits);
    }

    private sealed class Parse(string? delimiter, ParseLimits limits) : IComponent
    {
        // The limits hold for an object and everything inside it together; its children are objects of their
        // own, begun here again, so their shared budget is kept by the object they all came from.
        private readonly ConditionalWeakTable<ObjectContext, ParseBudget> _budgets = [];

        public IObjectProcessor Begin(ObjectContext context) =>
            new Processor(context, delimiter, limits, _budgets.GetValue(context.Root, _ => new ParseBudget()));
    }

    private sealed class Processor(ObjectContext context, string? delimiter, ParseLimits limits, ParseBudget budget) : IObjectProcessor
    {
        private readonly ObjectBuffer _buffer = new(Name);

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (payload is not BytesPayload bytes)
            {
                throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; parse reads bytes from 'tags'.");
            }

            _buffer.Append(bytes.Bytes.Span);
            return ValueTask.CompletedTask;
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            if (_buffer.Length == 0)
            {
                return;
            }

            var session = new ParseSession(context, output, limits, budget, delimiter, cancellationToken);
            var part = new DocumentPart(context.Name, context.MimeType, _buffer.Memory);
            if (!await DocumentParser.ParseAsync(part, session).ConfigureAwait(false))
            {
                output.Warn($"parse: no parser for '{context.MimeType}'; passed through as tags");
                await output.EmitAsync(LaneNames.Tags, new BytesPayload(_buffer.Memory.ToArray()), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
