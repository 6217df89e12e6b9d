using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Entities;

/// <summary>
/// Masks personal data (<see cref="EntityDetector"/>'s entities) in text and in each document's text. Text is
/// passed on line by line as it completes, so an entity split between two text items is still masked.
/// </summary>
public sealed class AnonymizeProvider : IComponentProvider
{
    private const string Name = "anonymize";

    /// <summary>The mask used when the config gives none.</summary>
    public const string DefaultMask = "[{type}]";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Anonymize",
        Description: "Masks e-mail addresses, phone numbers, IBANs (checksum-verified), card numbers (Luhn-verified) and IPv4/IPv6 addresses in text and documents.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Text] = [LaneNames.Text],
            [LaneNames.Documents] = [LaneNames.Documents],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["mask"] = new JsonObject
                {
                    ["type"] = "string",
                    ["maxLength"] = 200,
                    ["default"] = DefaultMask,
                    ["description"] = "What replaces each entity; {type} becomes its type (email, phone, iban, card, ipv4, ipv6).",
                },
                ["keepLast"] = new JsonObject
                {
                    ["type"] = "integer",
                    ["minimum"] = 0,
                    ["maximum"] = 8,
                    ["default"] = 0,
                    ["description"] = "Characters kept at the end of each entity (4 keeps a card's last four digits).",
                },
                ["entities"] = EntityConfig.Schema(),
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"anonymize_1","provider":"anonymize","config":{"mask":"[{type}]","entities":["email","phone","iban","card"]},"input":[{"lane":"text","from":"parse_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new Anonymizer(
            ConfigValues.GetString(config, Name, "mask", DefaultMask)!,
            ConfigValues.GetInt32(config, Name, "keepLast", 0, 0, 8),
            EntityConfig.Read(config, Name));
    }

    /// <summary>Masks every entity of <paramref name="text"/>.</summary>
    internal static string Mask(string text, string mask, int keepLast, IReadOnlySet<string> types)
    {
        var entities = EntityDetector.Find(text, types);
        if (entities.Count == 0)
        {
            return text;
        }

        var masked = new StringBuilder(text.Length);
        var at = 0;
        foreach (var entity in entities)
        {
            masked.Append(text, at, entity.Start - at)
                .Append(mask.Replace("{type}", entity.Type, StringComparison.Ordinal))
                .Append(entity.Value.AsSpan(Math.Max(0, entity.Length - keepLast)));
            at = entity.Start + entity.Length;
        }

        return masked.Append(text, at, text.Length - at).ToString();
    }

    private sealed class Anonymizer(string mask, int keepLast, IReadOnlySet<string> types) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(this);

        public string Mask(string text) => AnonymizeProvider.Mask(text, mask, keepLast, types);
    }

    private sealed class Processor(Anonymizer anonymizer) : IObjectProcessor
    {
        private readonly LineBuffer _lines = new();

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            switch (payload)
            {
                case TextPayload text:
                    if (_lines.Add(text.Text) is { } piece)
                    {
                        await output.EmitAsync(LaneNames.Text, new TextPayload(anonymizer.Mask(piece.Text)), cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case DocumentsPayload documents:
                    var masked = documents.Documents.Select(d => d with { Text = anonymizer.Mask(d.Text) }).ToList();
                    await output.EmitAsync(LaneNames.Documents, new DocumentsPayload(masked), cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; anonymize reads 'text' and 'documents'.");
            }
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            if (_lines.Flush() is { } rest)
            {
                await output.EmitAsync(LaneNames.Text, new TextPayload(anonymizer.Mask(rest.Text)), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
