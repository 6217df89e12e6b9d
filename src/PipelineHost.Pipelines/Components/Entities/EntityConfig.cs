using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Components.Entities;

/// <summary>The <c>entities</c> setting both entity components share: which types to look for.</summary>
internal static class EntityConfig
{
    /// <summary>The schema of <c>config.entities</c>.</summary>
    public static JsonObject Schema() => new()
    {
        ["type"] = "array",
        ["items"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray(EntityDetector.Types.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()) },
        ["description"] = "Entity types to look for; default all: " + string.Join(", ", EntityDetector.Types) + ".",
    };

    /// <summary>The configured types, all of them when absent.</summary>
    public static IReadOnlySet<string> Read(JsonObject config, string provider)
    {
        var types = ConfigValues.GetStrings(config, provider, "entities", EntityDetector.Types);
        var unknown = types.FirstOrDefault(t => !EntityDetector.Types.Contains(t, StringComparer.Ordinal));
        return unknown is null
            ? new HashSet<string>(types, StringComparer.Ordinal)
            : throw new ComponentConfigException($"{provider}: config.entities has an unknown type \"{unknown}\".");
    }
}
