using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Labels an object by rules: each rule is a regex over the object's whole text (or over its name, MIME type or a
/// metadata field). On close emits one list with a classification per matching rule, possibly empty.
/// </summary>
public sealed class ClassifyProvider : IComponentProvider
{
    private const string Name = "classify";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Classify",
        Description: "Collects an object's text and emits one list of labels: one per rule whose pattern matches (only the first with multiLabel false).",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Text] = [LaneNames.Classifications],
            [LaneNames.Documents] = [LaneNames.Classifications],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["rules"] = new JsonObject
                {
                    ["type"] = "array",
                    ["minItems"] = 1,
                    ["items"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject
                        {
                            ["label"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "The label given when the rule matches." },
                            ["pattern"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["description"] = "Regex searched for." },
                            ["field"] = new JsonObject
                            {
                                ["type"] = "string",
                                ["pattern"] = "^(text|name|mimeType|metadata\\..+)$",
                                ["default"] = "text",
                                ["description"] = "What the pattern is searched in: text, name, mimeType or metadata.<key>.",
                            },
                        },
                        ["required"] = new JsonArray("label", "pattern"),
                        ["additionalProperties"] = false,
                    },
                    ["description"] = "Rules, tried in order.",
                },
                ["multiLabel"] = new JsonObject { ["type"] = "boolean", ["default"] = true, ["description"] = "Every matching rule (true) or only the first (false)." },
            },
            ["required"] = new JsonArray("rules"),
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"classify_1","provider":"classify","config":{"rules":[{"label":"invoice","pattern":"(?i)\\binvoice\\b"},{"label":"spreadsheet","pattern":"\\.(csv|xlsx)$","field":"name"}],"multiLabel":true},"input":[{"lane":"text","from":"parse_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config["rules"] is not JsonArray { Count: > 0 } array)
        {
            throw new ComponentConfigException($"{Name}: config.rules must be a non-empty array.");
        }

        var rules = array.Select((node, i) =>
        {
            var at = $"rules[{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
            if (node is not JsonObject rule)
            {
                throw new ComponentConfigException($"{Name}: config.{at} must be an object.");
            }

            var label = ConfigValues.GetRequiredString(rule, Name, "label", $"{at}.label");
            var pattern = ConfigValues.GetRequiredString(rule, Name, "pattern", $"{at}.pattern");
            var field = ConfigValues.GetString(rule, Name, "field", "text", $"{at}.field")!;
            if (field is not ("text" or "name" or "mimeType") && !(field.StartsWith("metadata.", StringComparison.Ordinal) && field.Length > "metadata.".Length))
            {
                throw new ComponentConfigException($"{Name}: config.{at}.field must be text, name, mimeType or metadata.<key>.");
            }

            return new Rule(label, pattern, field, ComponentRegex.Create(Name, $"{at}.pattern", pattern));
        }).ToList();
        return new Classify(rules, ConfigValues.GetBoolean(config, Name, "multiLabel", true));
    }

    private sealed record Rule(string Label, string Pattern, string Field, Regex Regex);

    private sealed class Classify(IReadOnlyList<Rule> rules, bool multiLabel) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(context, rules, multiLabel);
    }

    private sealed class Processor(ObjectContext context, IReadOnlyList<Rule> rules, bool multiLabel) : IObjectProcessor
    {
        private readonly TextCollector _text = new(Name);

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            _text.Add(lane, payload);
            return ValueTask.CompletedTask;
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            var text = _text.ToString();
            var labels = new List<Classification>();
            foreach (var rule in rules)
            {
                var subject = rule.Field switch
                {
                    "text" => text,
                    "name" => context.Name,
                    "mimeType" => context.MimeType,
                    _ => MetadataText(context.Metadata[rule.Field["metadata.".Length..]]),
                };
                if (subject is null)
                {
                    continue;
                }

                var match = ComponentRegex.Run(Name, rule.Regex, r => r.Match(subject));
                if (match.Success)
                {
                    labels.Add(new Classification(rule.Label, rule.Pattern, match.Value));
                    if (!multiLabel)
                    {
                        break;
                    }
                }
            }

            await output.EmitAsync(LaneNames.Classifications, new ClassificationsPayload(labels), cancellationToken).ConfigureAwait(false);
        }

        private static string? MetadataText(JsonNode? node) => node switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => node.ToJsonString(),
        };
    }
}
