using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PipelineHost.Pipelines.Schema;

/// <summary>
/// Keeps provider schemas to the keywords <see cref="ConfigSchemaValidator"/> can put into clear messages, in the
/// right shapes, with every <c>default</c> valid against its own schema. A check on our own schemas, not on
/// configs: those are validated by JsonSchema.Net.
/// </summary>
internal static class SchemaLint
{
    private static readonly string[] TypeNames = ["object", "array", "string", "integer", "number", "boolean", "null"];

    private static readonly ConcurrentDictionary<string, bool> Patterns = new(StringComparer.Ordinal);

    /// <summary>One message per problem of <paramref name="schema"/>, each naming the schema path.</summary>
    public static IReadOnlyList<string> Check(JsonObject schema)
    {
        var errors = new List<string>();
        CheckSchemaNode(schema, "schema", errors);
        return errors;
    }

    private static void CheckSchemaNode(JsonObject schema, string path, List<string> errors)
    {
        foreach (var (keyword, node) in schema)
        {
            var at = $"{path}.{keyword}";
            if (!SchemaMessages.Keywords.Contains(keyword))
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
                    if (node is not JsonValue p || p.GetValueKind() != JsonValueKind.String || !IsPattern(p.GetValue<string>()))
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
            errors.AddRange(ConfigSchemaValidator.Validate(copy, defaultValue, $"{path}.default"));
        }
    }

    private static bool IsPattern(string pattern) => Patterns.GetOrAdd(pattern, static p =>
    {
        try
        {
            _ = new Regex(p, RegexOptions.CultureInvariant);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    });

    private static bool TryGetNumber(JsonNode? node, out double number) => SchemaMessages.TryGetNumber(node, out number);
}
