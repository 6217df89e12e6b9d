using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace PipelineHost.Pipelines.Schema;

/// <summary>
/// Words JsonSchema.Net's failures as PipelineHost's messages: <c>config.tags[1]: must be a string</c>. Each
/// failing keyword becomes one message, ordered as the fields appear in the config.
/// </summary>
internal static class SchemaMessages
{
    /// <summary>The keywords provider schemas may use (the ones worded here, plus annotations).</summary>
    public static readonly IReadOnlySet<string> Keywords = new HashSet<string>(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "enum", "const", "minimum", "maximum",
        "minLength", "maxLength", "pattern", "items", "minItems", "maxItems", "default", "description", "title",
    };

    private static readonly string[] Order =
        ["type", "enum", "const", "required", "additionalProperties", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems"];

    // Messages quote values as JSON, without escaping '+', '<', non-ASCII and the like.
    private static readonly JsonSerializerOptions MessageJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IReadOnlyList<string> From(EvaluationResults results, JsonObject schema, JsonNode instance, string root)
    {
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        Number(instance, string.Empty, order);
        var found = new List<(int At, int Rank, string Message)>();
        foreach (var detail in (results.Details ?? []).Prepend(results))
        {
            if (detail.IsValid || detail.Errors is not { Count: > 0 } errors)
            {
                continue;
            }

            var schemaPath = Segments(detail.EvaluationPath.ToString());
            var location = Segments(detail.InstanceLocation.ToString());
            var at = order.GetValueOrDefault(detail.InstanceLocation.ToString(), int.MaxValue);
            if (schemaPath.Count > 0 && schemaPath[^1] == "additionalProperties")
            {
                var parent = Navigate(schema, schemaPath[..^1]);
                var properties = parent?["properties"] as JsonObject;
                var known = properties is null || properties.Count == 0 ? "none" : string.Join(", ", properties.Select(p => p.Key).Order(StringComparer.Ordinal));
                found.Add((at, Rank("additionalProperties"), $"{Path(root, location)}: is not a known property (known: {known})"));
                continue;
            }

            var node = Navigate(schema, schemaPath);
            if (node is null)
            {
                continue;
            }

            foreach (var keyword in errors.Keys)
            {
                foreach (var message in Word(keyword, node, Find(instance, location), root, location))
                {
                    found.Add((at, Rank(keyword), message)); // 'required' sits at its object, so it comes before the fields
                }
            }
        }

        return found.OrderBy(f => f.At).ThenBy(f => f.Rank).Select(f => f.Message).Distinct(StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<string> Word(string keyword, JsonObject schema, JsonNode? value, string root, List<string> location)
    {
        var path = Path(root, location);
        switch (keyword)
        {
            case "type" or "minimum" or "maximum":
                yield return $"{path}: must be {Describe(schema)}";
                break;
            case "enum":
                yield return $"{path}: must be one of {string.Join(", ", (schema["enum"] as JsonArray ?? []).Select(Json))}";
                break;
            case "const":
                yield return $"{path}: must be {Json(schema["const"])}";
                break;
            case "required":
                foreach (var name in (schema["required"] as JsonArray ?? []).Select(r => r?.GetValue<string>()))
                {
                    if (name is not null && value is JsonObject obj && !obj.ContainsKey(name))
                    {
                        yield return $"{Path(root, [.. location, name])}: is required";
                    }
                }

                break;
            case "minLength":
                yield return $"{path}: must be at least {Json(schema["minLength"])} character(s) long";
                break;
            case "maxLength":
                yield return $"{path}: must be at most {Json(schema["maxLength"])} character(s) long";
                break;
            case "pattern":
                yield return $"{path}: must match the pattern {Json(schema["pattern"])}";
                break;
            case "minItems":
                yield return $"{path}: must have at least {Json(schema["minItems"])} item(s)";
                break;
            case "maxItems":
                yield return $"{path}: must have at most {Json(schema["maxItems"])} item(s)";
                break;
            case "properties" or "items" or "additionalProperties":
                break; // reported by the nested keyword that failed
            default:
                yield return $"{path}: does not satisfy '{keyword}'";
                break;
        }
    }

    private static int Rank(string keyword) => Array.IndexOf(Order, keyword) is var i and >= 0 ? i : Order.Length;

    /// <summary>"an integer &gt;= 1 and &lt;= 10", "a string or null", ...: what a value of <paramref name="schema"/> must be.</summary>
    private static string Describe(JsonObject schema)
    {
        var types = schema["type"] switch
        {
            JsonArray array => array.Select(t => t?.ToString() ?? "?").ToList(),
            { } single => [single.ToString()],
            null => [],
        };
        var text = new StringBuilder();
        text.Append(types.Count == 0 ? "a number" : string.Join(" or ", types.Select(Article)));
        if (schema["minimum"] is { } min)
        {
            text.Append(" >= ").Append(Json(min));
        }

        if (schema["maximum"] is { } max)
        {
            text.Append(schema["minimum"] is null ? " <= " : " and <= ").Append(Json(max));
        }

        return text.ToString();

        static string Article(string type) => type switch
        {
            "object" => "an object",
            "array" => "an array",
            "integer" => "an integer",
            "null" => "null",
            _ => "a " + type,
        };
    }

    // Pre-order numbering of every location in the config, so messages follow the config's own order.
    private static void Number(JsonNode? node, string pointer, Dictionary<string, int> order)
    {
        order[pointer] = order.Count;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    Number(child, pointer + "/" + name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal), order);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Number(array[i], string.Create(CultureInfo.InvariantCulture, $"{pointer}/{i}"), order);
                }

                break;
        }
    }

    private static List<string> Segments(string pointer) =>
        pointer.Length <= 1 ? [] : pointer[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();

    private static JsonObject? Navigate(JsonObject schema, List<string> path)
    {
        JsonNode? node = schema;
        string? previous = null;
        foreach (var segment in path)
        {
            // JsonSchema.Net names an 'items' evaluation "items/items": the second is not a level of the schema.
            if (!(segment == "items" && previous == "items" && (node as JsonObject)?.ContainsKey("items") != true))
            {
                node = node is JsonObject obj ? obj[segment] : null;
            }

            previous = segment;
        }

        return node as JsonObject;
    }

    private static JsonNode? Find(JsonNode instance, List<string> location)
    {
        JsonNode? node = instance;
        foreach (var segment in location)
        {
            node = node switch
            {
                JsonObject obj => obj[segment],
                JsonArray array when int.TryParse(segment, CultureInfo.InvariantCulture, out var i) && i < array.Count => array[i],
                _ => null,
            };
        }

        return node;
    }

    private static string Path(string root, IEnumerable<string> location)
    {
        var path = new StringBuilder(root);
        foreach (var segment in location)
        {
            if (segment.Length > 0 && segment.All(char.IsAsciiDigit) && path.Length > 0)
            {
                path.Append('[').Append(segment).Append(']');
            }
            else if (segment.Length > 0 && (char.IsAsciiLetter(segment[0]) || segment[0] == '_') && segment.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                path.Append('.').Append(segment);
            }
            else
            {
                path.Append('[').Append(Json(segment)).Append(']');
            }
        }

        return path.ToString();
    }

    public static bool TryGetNumber(JsonNode? node, out double number)
    {
        number = 0;
        return node is JsonValue value && value.GetValueKind() == JsonValueKind.Number &&
               double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    public static string Json(JsonNode? node) => node?.ToJsonString(MessageJson) ?? "null";

    private static string Json(string text) => JsonSerializer.Serialize(text, MessageJson);
}
