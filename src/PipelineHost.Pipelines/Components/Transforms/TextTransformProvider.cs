using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Rewrites text with a list of operations applied in order to each text item and to each document's text:
/// case changes, trimming, whitespace normalisation and regex replacement.
/// </summary>
public sealed class TextTransformProvider : IComponentProvider
{
    private const string Name = "transform";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Transform text",
        Description: "Applies operations (lowercase, uppercase, trim, normalize_whitespace, regex replace) in order to every text item and every document's text.",
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
                ["operations"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject
                    {
                        ["type"] = new JsonArray("string", "object"),
                        ["description"] = "\"lowercase\", \"uppercase\", \"trim\", \"normalize_whitespace\" or {\"replace\":{\"pattern\":regex,\"with\":text}}.",
                    },
                    ["default"] = new JsonArray(),
                    ["description"] = "Operations applied in order.",
                },
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"clean_1","provider":"transform","config":{"operations":["normalize_whitespace","trim",{"replace":{"pattern":"\\b\\d{4}-\\d{4}-\\d{4}-\\d{4}\\b","with":"[card]"}},"lowercase"]},"input":[{"lane":"text","from":"parse_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var operations = config["operations"] switch
        {
            null => [],
            JsonArray array => array.Select((node, i) => ReadOperation(node, i)).ToList(),
            _ => throw new ComponentConfigException($"{Name}: config.operations must be an array."),
        };
        return new Transform(operations);
    }

    /// <summary>Applies <paramref name="operations"/> to <paramref name="text"/> in order.</summary>
    private static string Apply(IReadOnlyList<Func<string, string>> operations, string text)
    {
        foreach (var operation in operations)
        {
            text = operation(text);
        }

        return text;
    }

    private static Func<string, string> ReadOperation(JsonNode? node, int index)
    {
        var at = $"config.operations[{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return value.GetValue<string>() switch
            {
                "lowercase" => s => s.ToLowerInvariant(),
                "uppercase" => s => s.ToUpperInvariant(),
                "trim" => s => s.Trim(),
                "normalize_whitespace" => NormalizeWhitespace,
                var other => throw new ComponentConfigException(
                    $"{Name}: {at}: unknown operation '{other}' (expected lowercase, uppercase, trim, normalize_whitespace or {{\"replace\":{{...}}}})."),
            };
        }

        if (node is JsonObject { Count: 1 } obj && obj["replace"] is JsonObject replace &&
            replace["pattern"] is JsonValue pattern && pattern.GetValueKind() == JsonValueKind.String &&
            (replace["with"] is null || (replace["with"] is JsonValue with && with.GetValueKind() == JsonValueKind.String)) &&
            replace.All(p => p.Key is "pattern" or "with"))
        {
            var regex = ComponentRegex.Create(Name, $"operations[{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}].replace.pattern", pattern.GetValue<string>());
            var replacement = replace["with"]?.GetValue<string>() ?? string.Empty;
            return s => ComponentRegex.Run(Name, regex, r => r.Replace(s, replacement));
        }

        throw new ComponentConfigException($"{Name}: {at}: must be an operation name or {{\"replace\":{{\"pattern\":\"...\",\"with\":\"...\"}}}}.");
    }

    /// <summary>Every run of whitespace becomes one space; the ends are left alone (use <c>trim</c>).</summary>
    private static string NormalizeWhitespace(string text)
    {
        var result = new StringBuilder(text.Length);
        var inSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                if (!inSpace)
                {
                    result.Append(' ');
                    inSpace = true;
                }
            }
            else
            {
                result.Append(c);
                inSpace = false;
            }
        }

        return result.ToString();
    }

    private sealed class Transform(IReadOnlyList<Func<string, string>> operations) : IComponent, IObjectProcessor
    {
        // Stateless per object, so one instance serves them all.
        public IObjectProcessor Begin(ObjectContext context) => this;

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            (string Lane, LanePayload Payload) result = payload switch
            {
                TextPayload text => (LaneNames.Text, new TextPayload(Apply(operations, text.Text))),
                DocumentsPayload documents => (LaneNames.Documents, new DocumentsPayload(documents.Documents
                    .Select(d => new Document(Apply(operations, d.Text), (JsonObject)d.Metadata.DeepClone()))
                    .ToList())),
                _ => throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; transform reads 'text' and 'documents'."),
            };
            await output.EmitAsync(result.Lane, result.Payload, cancellationToken).ConfigureAwait(false);
        }

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
