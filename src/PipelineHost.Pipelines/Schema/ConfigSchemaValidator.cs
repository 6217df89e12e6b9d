using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PipelineHost.Pipelines.Schema;

/// <summary>
/// Checks a component's <c>config</c> against its provider's JSON Schema. Understands the subset the built-in
/// providers use: <c>type</c> (one name or an array of names), <c>properties</c>, <c>required</c>,
/// <c>additionalProperties</c> (boolean only), <c>enum</c>, <c>const</c>, <c>minimum</c>, <c>maximum</c>,
/// <c>minLength</c>, <c>maxLength</c>, <c>pattern</c>, <c>items</c> (one schema for every element),
/// <c>minItems</c>, <c>maxItems</c>; <c>default</c>, <c>description</c> and <c>title</c> are annotations and
/// are ignored. Other keywords are ignored by <see cref="Validate(JsonObject, JsonNode?)"/> and reported by
/// <see cref="CheckSchema"/>.
/// </summary>
public static class ConfigSchemaValidator
{
    /// <summary>How long one <c>pattern</c> check may take.</summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromSeconds(1);

    private static readonly string[] TypeNames = ["object", "array", "string", "integer", "number", "boolean", "null"];

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "enum", "const", "minimum", "maximum",
        "minLength", "maxLength", "pattern", "items", "minItems", "maxItems", "default", "description", "title",
    };

    // Messages quote values as JSON, without escaping '+', '<', non-ASCII and the like.
    private static readonly JsonSerializerOptions MessageJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly ConcurrentDictionary<string, Regex?> Patterns = new(StringComparer.Ordinal);

    /// <summary>
    /// Validates <paramref name="value"/>, the <c>config</c> of a component, against <paramref name="schema"/>.
    /// A missing config (<see langword="null"/>) is validated as an empty object.
    /// </summary>
    /// <returns>One message per problem, each starting with the JSON path, e.g. <c>config.chunkSize: must be an integer &gt;= 1</c>; empty when valid.</returns>
    public static IReadOnlyList<string> Validate(JsonObject schema, JsonNode? value) => Validate(schema, value, "config");

    /// <summary>As <see cref="Validate(JsonObject, JsonNode?)"/>, naming the root <paramref name="path"/> in messages.</summary>
    public static IReadOnlyList<string> Validate(JsonObject schema, JsonNode? value, string path)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(path);
        var errors = new List<string>();
        Check(schema, value ?? new JsonObject(), path, errors);
        return errors;
    }

    /// <summary>
    /// Checks that <paramref name="schema"/> only uses what this validator understands, in the right shapes, and
    /// that every <c>default</c> satisfies its own schema. Used to keep provider schemas honest.
    /// </summary>
    /// <returns>One message per problem, each naming the schema path; empty when the schema is usable.</returns>
    public static IReadOnlyList<string> CheckSchema(JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var errors = new List<string>();
        CheckSchemaNode(schema, "schema", errors);
        return errors;
    }

    private static void Check(JsonObject schema, JsonNode? value, string path, List<string> errors)
    {
        if (schema["type"] is { } typeNode && !MatchesType(typeNode, value))
        {
            errors.Add($"{path}: must be {Describe(schema)}");
            return;
        }

        if (schema["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
        {
            errors.Add($"{path}: must be one of {string.Join(", ", options.Select(Json))}");
        }

        if (schema.TryGetPropertyValue("const", out var constant) && !JsonNode.DeepEquals(constant, value))
        {
            errors.Add($"{path}: must be {Json(constant)}");
        }

        switch (value)
        {
            case JsonObject obj:
                CheckObject(schema, obj, path, errors);
                break;
            case JsonArray array:
                CheckArray(schema, array, path, errors);
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                CheckString(schema, scalar.GetValue<string>(), path, errors);
                break;
            case JsonValue scalar when TryGetNumber(scalar, out var number):
                if ((TryGetNumber(schema["minimum"], out var min) && number < min) ||
                    (TryGetNumber(schema["maximum"], out var max) && number > max))
                {
                    errors.Add($"{path}: must be {Describe(schema)}");
                }

                break;
        }
    }

    private static void CheckObject(JsonObject schema, JsonObject obj, string path, List<string> errors)
    {
        var properties = schema["properties"] as JsonObject;
        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r?.GetValueKind() == JsonValueKind.String ? r.GetValue<string>() : null))
            {
                if (name is not null && !obj.ContainsKey(name))
                {
                    errors.Add($"{Child(path, name)}: is required");
                }
            }
        }

        foreach (var (name, child) in obj)
        {
            if (properties?[name] is JsonObject childSchema)
            {
                Check(childSchema, child, Child(path, name), errors);
            }
            else if (schema["additionalProperties"] is JsonValue additional &&
                     additional.GetValueKind() == JsonValueKind.False)
            {
                var known = properties is null || properties.Count == 0
                    ? "none"
                    : string.Join(", ", properties.Select(p => p.Key).Order(StringComparer.Ordinal));
                errors.Add($"{Child(path, name)}: is not a known property (known: {known})");
            }
        }
    }

    private static void CheckArray(JsonObject schema, JsonArray array, string path, List<string> errors)
    {
        if (TryGetNumber(schema["minItems"], out var minItems) && array.Count < minItems)
        {
            errors.Add($"{path}: must have at least {Json(schema["minItems"])} item(s)");
        }

        if (TryGetNumber(schema["maxItems"], out var maxItems) && array.Count > maxItems)
        {
            errors.Add($"{path}: must have at most {Json(schema["maxItems"])} item(s)");
        }

        if (schema["items"] is JsonObject itemSchema)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Check(itemSchema, array[i], string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), errors);
            }
        }
    }

    private static void CheckString(JsonObject schema, string text, string path, List<string> errors)
    {
        // JSON Schema counts characters as code points, not UTF-16 units.
        var length = text.EnumerateRunes().Count();
        if (TryGetNumber(schema["minLength"], out var minLength) && length < minLength)
        {
            errors.Add($"{path}: must be at least {Json(schema["minLength"])} character(s) long");
        }

        if (TryGetNumber(schema["maxLength"], out var maxLength) && length > maxLength)
        {
            errors.Add($"{path}: must be at most {Json(schema["maxLength"])} character(s) long");
        }

        if (schema["pattern"] is JsonValue patternNode && patternNode.GetValueKind() == JsonValueKind.String)
        {
            var pattern = patternNode.GetValue<string>();
            var regex = GetPattern(pattern);
            if (regex is null)
            {
                errors.Add($"{path}: cannot be checked: the schema's pattern {Json(pattern)} is not a valid regular expression");
                return;
            }

            try
            {
                if (!regex.IsMatch(text))
                {
                    errors.Add($"{path}: must match the pattern {Json(pattern)}");
                }
            }
            catch (RegexMatchTimeoutException)
            {
                errors.Add($"{path}: took too long to check against the pattern {Json(pattern)}");
            }
        }
    }

    private static bool MatchesType(JsonNode typeNode, JsonNode? value)
    {
        var names = typeNode switch
        {
            JsonArray array => array.Select(t => t?.ToString() ?? string.Empty),
            _ => [typeNode.ToString()],
        };
        return names.Any(name => IsType(name, value));
    }

    private static bool IsType(string name, JsonNode? value) => name switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "null" => value is null || (value is JsonValue v && v.GetValueKind() == JsonValueKind.Null),
        "number" => TryGetNumber(value, out _),
        "integer" => TryGetNumber(value, out var d) && Math.Floor(d) == d && !double.IsInfinity(d),
        _ => false,
    };

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

    private static void CheckSchemaNode(JsonObject schema, string path, List<string> errors)
    {
        foreach (var (keyword, node) in schema)
        {
            var at = $"{path}.{keyword}";
            if (!Keywords.Contains(keyword))
            {
                errors.Add($"{at}: unsupported keyword");
                continue;
            }

            switch (keyword)
            {
                case "type":
                    var names = node is JsonArray list ? list.ToList() : [node];
                    if (names.Count == 0 || names.Any(n => n is not JsonValue v || v.GetValueKind() != JsonValueKind.String ||
                                                           !TypeNames.Contains(v.GetValue<string>())))
                    {
                        errors.Add($"{at}: must be one of {string.Join(", ", TypeNames)} or an array of them");
                    }

                    break;
                case "properties":
                    if (node is not JsonObject props)
                    {
                        errors.Add($"{at}: must be an object");
                        break;
                    }

                    foreach (var (name, child) in props)
                    {
                        if (child is JsonObject childSchema)
                        {
                            CheckSchemaNode(childSchema, $"{at}.{name}", errors);
                        }
                        else
                        {
                            errors.Add($"{at}.{name}: must be a schema object");
                        }
                    }

                    break;
                case "items":
                    if (node is JsonObject items)
                    {
                        CheckSchemaNode(items, at, errors);
                    }
                    else
                    {
                        errors.Add($"{at}: must be a schema object");
                    }

                    break;
                case "required":
                    if (node is not JsonArray req || req.Any(r => r is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
                    {
                        errors.Add($"{at}: must be an array of property names");
                    }
                    else if (req.Select(r => r!.GetValue<string>()).FirstOrDefault(r => schema["properties"]?[r] is null) is { } missing)
                    {
                        errors.Add($"{at}: names '{missing}', which is not in properties");
                    }

                    break;
                case "additionalProperties":
                    if (node is not JsonValue b || b.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        errors.Add($"{at}: must be a boolean");
                    }

                    break;
                case "enum":
                    if (node is not JsonArray { Count: > 0 })
                    {
                        errors.Add($"{at}: must be a non-empty array");
                    }

                    break;
                case "minimum" or "maximum":
                    if (!TryGetNumber(node, out _))
                    {
                        errors.Add($"{at}: must be a number");
                    }

                    break;
                case "minLength" or "maxLength" or "minItems" or "maxItems":
                    if (!TryGetNumber(node, out var count) || count < 0 || Math.Floor(count) != count)
                    {
                        errors.Add($"{at}: must be a non-negative integer");
                    }

                    break;
                case "pattern":
                    if (node is not JsonValue p || p.GetValueKind() != JsonValueKind.String || GetPattern(p.GetValue<string>()) is null)
                    {
                        errors.Add($"{at}: must be a valid regular expression");
                    }

                    break;
                case "description" or "title":
                    if (node is not JsonValue d || d.GetValueKind() != JsonValueKind.String)
                    {
                        errors.Add($"{at}: must be a string");
                    }

                    break;
            }
        }

        if (schema.TryGetPropertyValue("default", out var defaultValue))
        {
            var copy = new JsonObject(schema.Where(kv => kv.Key != "default").Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone())));
            Check(copy, defaultValue, $"{path}.default", errors);
        }
    }

    private static Regex? GetPattern(string pattern) => Patterns.GetOrAdd(pattern, static p =>
    {
        try
        {
            return new Regex(p, RegexOptions.CultureInvariant, PatternTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    });

    private static bool TryGetNumber(JsonNode? node, out double number)
    {
        number = 0;
        return node is JsonValue value && value.GetValueKind() == JsonValueKind.Number &&
               double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    private static string Json(JsonNode? node) => node?.ToJsonString(MessageJson) ?? "null";

    private static string Json(string text) => JsonSerializer.Serialize(text, MessageJson);

    private static string Child(string path, string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? $"{path}.{name}"
            : $"{path}[{Json(name)}]";
}
