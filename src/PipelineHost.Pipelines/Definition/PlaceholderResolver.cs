using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PipelineHost.Pipelines.Definition;

/// <summary>
/// Substitutes <c>${NAME}</c> placeholders in a pipeline's string values. Only names with an allowed prefix
/// are looked up (server environment, overridden by the caller's <c>env</c>); an allowed name with no value is
/// left as written, and <see cref="Unresolved"/> finds it so the host can refuse the pipeline naming it; every
/// other placeholder becomes <c>&lt;REDACTED&gt;</c>, so a pipeline can never read
/// arbitrary server secrets. Values are substituted into the JSON tree, not its text, so they cannot inject
/// JSON.
/// </summary>
public static partial class PlaceholderResolver
{
    /// <summary>Prefixes a placeholder may use.</summary>
    public static readonly IReadOnlyList<string> AllowedPrefixes = ["ROCKETRIDE_", "PIPELINEHOST_"];

    /// <summary>What a disallowed placeholder becomes.</summary>
    public const string Redacted = "<REDACTED>";

    /// <summary>True when <paramref name="name"/> may be substituted.</summary>
    public static bool IsAllowed(string name) => AllowedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

    /// <summary>
    /// The variables available to a task: the allowed part of <paramref name="serverEnvironment"/>, overridden by
    /// the allowed part of the caller's <paramref name="callerEnvironment"/> (other keys are dropped).
    /// </summary>
    public static Dictionary<string, string> MergeEnvironment(IReadOnlyDictionary<string, string?> serverEnvironment, JsonObject? callerEnvironment)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in serverEnvironment)
        {
            if (value is not null && IsAllowed(key))
            {
                merged[key] = value;
            }
        }

        if (callerEnvironment is not null)
        {
            foreach (var (key, value) in callerEnvironment)
            {
                if (IsAllowed(key) && value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    merged[key] = v.GetValue<string>();
                }
            }
        }

        return merged;
    }

    /// <summary>A resolved deep copy of <paramref name="pipeline"/>.</summary>
    public static JsonObject Resolve(JsonObject pipeline, IReadOnlyDictionary<string, string> variables)
    {
        var copy = (JsonObject)pipeline.DeepClone();
        ResolveNode(copy, variables);
        return copy;
    }

    private static void ResolveNode(JsonNode node, IReadOnlyDictionary<string, string> variables)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (obj[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    {
                        obj[key] = Substitute(value.GetValue<string>(), variables);
                    }
                    else if (obj[key] is { } child)
                    {
                        ResolveNode(child, variables);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    {
                        array[i] = Substitute(value.GetValue<string>(), variables);
                    }
                    else if (array[i] is { } child)
                    {
                        ResolveNode(child, variables);
                    }
                }

                break;
        }
    }

    /// <summary>The allowed placeholder names still in <paramref name="resolved"/> (no environment gave them a value), each once.</summary>
    public static IReadOnlyList<string> Unresolved(JsonNode resolved)
    {
        var names = new List<string>();
        Collect(resolved, names);
        return names;
    }

    /// <summary>The validation error for a placeholder nothing gave a value: it names the variable and where to set it.</summary>
    public static string UnsetMessage(string name) =>
        $"Placeholder ${{{name}}} is not set: set the environment variable {name} where the server runs (before starting it), or pass it in the task's env";

    private static void Collect(JsonNode? node, List<string> names)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    Collect(child, names);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Collect(child, names);
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                foreach (Match match in Placeholder().Matches(value.GetValue<string>()))
                {
                    var name = match.Groups[1].Value;
                    if (IsAllowed(name) && !names.Contains(name, StringComparer.Ordinal))
                    {
                        names.Add(name);
                    }
                }

                break;
        }
    }

    /// <summary>Substitutes the placeholders of one string.</summary>
    public static string Substitute(string text, IReadOnlyDictionary<string, string> variables) =>
        !text.Contains("${", StringComparison.Ordinal)
            ? text
            : Placeholder().Replace(text, match =>
            {
                var name = match.Groups[1].Value;
                if (!IsAllowed(name))
                {
                    return Redacted;
                }

                return variables.TryGetValue(name, out var value) ? value : match.Value;
            });

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
