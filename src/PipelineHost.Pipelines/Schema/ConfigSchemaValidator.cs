using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace PipelineHost.Pipelines.Schema;

/// <summary>
/// Checks a component's <c>config</c> against its provider's JSON Schema with JsonSchema.Net, and words each
/// failure as one clear message naming the field (<see cref="SchemaMessages"/>). Provider schemas keep to the
/// keywords those messages cover (<see cref="CheckSchema"/>): <c>type</c>, <c>properties</c>, <c>required</c>,
/// <c>additionalProperties</c> (boolean), <c>enum</c>, <c>const</c>, <c>minimum</c>, <c>maximum</c>,
/// <c>minLength</c>, <c>maxLength</c>, <c>pattern</c>, <c>items</c>, <c>minItems</c>, <c>maxItems</c>, and the
/// annotations <c>default</c>, <c>description</c>, <c>title</c>.
/// </summary>
public static class ConfigSchemaValidator
{
    private static readonly ConcurrentDictionary<string, JsonSchema> Compiled = new(StringComparer.Ordinal);

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List };

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
        var instance = value ?? new JsonObject();
        JsonSchema compiled;
        try
        {
            compiled = Compiled.GetOrAdd(schema.ToJsonString(), static text => JsonSchema.FromText(text));
        }
        catch (Exception ex) when (ex is JsonSchemaException or JsonException or ArgumentException)
        {
            return [$"{path}: cannot be checked: the schema is not valid JSON Schema"];
        }

        using var document = JsonDocument.Parse(instance.ToJsonString());
        var results = compiled.Evaluate(document.RootElement, Options);
        return results.IsValid ? [] : SchemaMessages.From(results, schema, instance, path);
    }

    /// <summary>
    /// Checks that <paramref name="schema"/> only uses what the messages cover, in the right shapes, and that every
    /// <c>default</c> satisfies its own schema. Used to keep provider schemas honest.
    /// </summary>
    /// <returns>One message per problem, each naming the schema path; empty when the schema is usable.</returns>
    public static IReadOnlyList<string> CheckSchema(JsonObject schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return SchemaLint.Check(schema);
    }
}
