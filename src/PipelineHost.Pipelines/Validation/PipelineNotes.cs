using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Definition;

namespace PipelineHost.Pipelines.Validation;

/// <summary>
/// The fields of a RocketRide pipeline file that PipelineHost accepts but does not use: reported by
/// <c>validate</c> as notes, never as errors, so a pipeline exported from RocketRide's editor runs unchanged.
/// </summary>
public static class PipelineNotes
{
    /// <summary>Top-level pipeline fields PipelineHost reads.</summary>
    public static readonly IReadOnlySet<string> PipelineFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "components", "source", "project_id", "version", "name", "description", "retry", "timeout", "expires",
    };

    /// <summary>Component fields PipelineHost reads.</summary>
    public static readonly IReadOnlySet<string> ComponentFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "id", "provider", "name", "config", "input", "control", "retry",
    };

    /// <summary>
    /// One note per unused field of <paramref name="pipeline"/> (as given, before editor fields are dropped) and
    /// per standard config key a component's provider does not declare (<paramref name="declared"/> by id).
    /// </summary>
    public static List<ValidationIssue> Collect(JsonObject pipeline, Func<string, JsonObject?> declared)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(declared);
        var notes = new List<ValidationIssue>();
        foreach (var (key, _) in pipeline)
        {
            if (!PipelineFields.Contains(key))
            {
                notes.Add(new(PipelineDocument.EditorFields.Contains(key)
                    ? $"Pipeline field '{key}' is editor layout; ignored"
                    : $"Pipeline field '{key}' is not used; ignored"));
            }
        }

        if (pipeline["components"] is not JsonArray components)
        {
            return notes;
        }

        foreach (var component in components.OfType<JsonObject>())
        {
            if (component["id"] is not JsonValue idValue || !idValue.TryGetValue(out string? id))
            {
                continue;
            }

            foreach (var (key, _) in component)
            {
                if (!ComponentFields.Contains(key))
                {
                    notes.Add(new($"Component \"{id}\": field '{key}' is not used; ignored", id));
                }
            }

            if (component["config"] is not JsonObject config)
            {
                continue;
            }

            var properties = declared(id);
            foreach (var (key, _) in config)
            {
                // 'mode' picks the source when 'source' is absent: used, so not noted.
                if (key != "mode" && PipelineValidator.StandardConfigKeys.Contains(key) && properties?.ContainsKey(key) != true)
                {
                    notes.Add(new($"Component \"{id}\": config.{key} is not used by this provider; ignored", id));
                }
            }
        }

        return notes;
    }
}
