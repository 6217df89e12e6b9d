using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Entities;

/// <summary>
/// Tags the entities <see cref="EntityDetector"/> finds (the ones <c>anonymize</c> masks) on the
/// <c>classifications</c> lane: label = entity type, rule = <c>ner</c>, match = the entity's text, with its span
/// (<see cref="Classification.Start"/>, <see cref="Classification.Length"/>) in the object's whole text, or in
/// the document for documents.
/// </summary>
public sealed class NerProvider : IComponentProvider
{
    private const string Name = "ner";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Entity tagging",
        Description: "Tags e-mail addresses, phone numbers, IBANs, card numbers and IPv4/IPv6 addresses in text and documents as classifications with type, span and value.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Text] = [LaneNames.Classifications],
            [LaneNames.Documents] = [LaneNames.Classifications],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["entities"] = EntityConfig.Schema() },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"ner_1","provider":"ner","config":{"entities":["email","iban"]},"input":[{"lane":"text","from":"parse_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new Tagger(EntityConfig.Read(config, Name));
    }

    private sealed class Tagger(IReadOnlySet<string> types) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(types);
    }

    private sealed class Processor(IReadOnlySet<string> types) : IObjectProcessor
    {
        private readonly LineBuffer _lines = new();

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            switch (payload)
            {
                case TextPayload text:
                    await TagAsync(_lines.Add(text.Text), output, cancellationToken).ConfigureAwait(false);
                    break;
                case DocumentsPayload documents:
                    foreach (var document in documents.Documents)
                    {
                        await TagAsync((document.Text, 0), output, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                default:
                    throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; ner reads 'text' and 'documents'.");
            }
        }

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) =>
            TagAsync(_lines.Flush(), output, cancellationToken);

        private async ValueTask TagAsync((string Text, long Offset)? piece, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (piece is not { } p)
            {
                return;
            }

            var tags = EntityDetector.Find(p.Text, types)
                .Select(e => new Classification(e.Type, Name, e.Value) { Start = p.Offset + e.Start, Length = e.Length })
                .ToList();
            if (tags.Count > 0)
            {
                await output.EmitAsync(LaneNames.Classifications, new ClassificationsPayload(tags), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
