using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Definition;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Validation;

/// <summary>
/// Checks a pipeline against the catalogue: structure, ids, source, providers, lanes between producers and
/// consumers, cycles and each component's config. Reports every problem it finds, not just the first.
/// </summary>
public sealed class PipelineValidator(ComponentCatalog catalog)
{
    /// <summary>
    /// Validates <paramref name="pipeline"/> (flat, already unwrapped); <paramref name="sourceOverride"/> wins over
    /// <c>pipeline.source</c>. With an <paramref name="environment"/>, every component is also built once, so
    /// config that only the host's settings make invalid (an <c>exec</c> program not allowed, a folder outside
    /// the allowed roots) is reported here rather than when the task starts.
    /// </summary>
    public ValidationResult Validate(JsonObject pipeline, string? sourceOverride = null, ComponentEnvironment? environment = null)
    {
        var normalized = (JsonObject)pipeline.DeepClone();
        foreach (var field in PipelineDocument.EditorFields)
        {
            normalized.Remove(field);
        }

        var errors = new List<ValidationIssue>();
        var warnings = new List<ValidationIssue>();
        var components = ReadComponents(normalized, errors);
        var source = ResolveSource(normalized, components, sourceOverride, errors);
        var providers = new Dictionary<string, IComponentProvider>(StringComparer.Ordinal);
        foreach (var component in components)
        {
            if (!catalog.TryGet(component.Provider, out var provider))
            {
                errors.Add(new(UnknownProvider(component), component.Id));
                continue;
            }

            providers[component.Id] = provider;
            var configErrors = ConfigSchemaValidator.Validate(provider.Definition.ConfigSchema, ProviderConfig(component.Config, provider));
            foreach (var error in configErrors)
            {
                errors.Add(new($"Component \"{component.Id}\": {error}", component.Id));
            }

            if (configErrors.Count == 0 && environment is not null)
            {
                try
                {
                    provider.Create(ProviderConfig(component.Config, provider), environment);
                }
                catch (ComponentConfigException ex)
                {
                    errors.Add(new($"Component \"{component.Id}\": {ex.Message}", component.Id));
                }
            }
        }

        if (source is not null && providers.TryGetValue(source, out var sourceProvider) && sourceProvider.Definition.Source == SourceKind.None)
        {
            errors.Add(new($"Source \"{source}\" (provider \"{sourceProvider.Definition.Name}\") is not a source component", source));
        }

        var retry = RetryPolicy.Parse(normalized["retry"], "Pipeline 'retry'", out var retryError);
        if (retryError is not null)
        {
            errors.Add(new(retryError));
        }

        CheckEdges(components, providers, source, errors, warnings);
        CheckCycles(components, errors);
        var notes = PipelineNotes.Collect(pipeline, id => providers.TryGetValue(id, out var p) ? p.Definition.ConfigSchema["properties"] as JsonObject : null);

        if (!normalized.ContainsKey("version"))
        {
            normalized["version"] = 1;
        }

        if (source is not null)
        {
            normalized["source"] = source;
            FillSourceDefaults(normalized, source);
        }

        PipelineDefinition? definition = null;
        if (errors.Count == 0 && source is not null)
        {
            definition = new PipelineDefinition(
                components,
                source,
                ReadString(normalized, "project_id") ?? string.Empty,
                normalized["version"] is JsonValue v && v.TryGetValue(out int version) ? version : 1,
                ReadString(normalized, "name"),
                ReadString(normalized, "description"))
            {
                Retry = retry,
            };
        }

        return new ValidationResult(errors, warnings, normalized) { Definition = definition, Notes = notes };
    }

    private string UnknownProvider(ComponentDefinition component)
    {
        var closest = ProviderSuggestions.Closest(component.Provider, catalog.Providers.Select(p => p.Definition.Name));
        var hint = closest.Count == 0
            ? "; see rrext_services for the providers this server has"
            : $"; closest: {string.Join(", ", closest.Select(c => $"\"{c}\""))}";
        return $"Component \"{component.Id}\": unknown provider \"{component.Provider}\"{hint}";
    }

    /// <summary>Keys RocketRide's editor, SDKs and engine put in any component's config; not the provider's business.</summary>
    public static readonly IReadOnlySet<string> StandardConfigKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "mode", "type", "name", "key", "hideForm", "parameters", "sync", "include", "estimation", "actions",
    };

    /// <summary>
    /// The config as <paramref name="provider"/> sees it: standard keys its schema does not declare are removed
    /// (a provider that does declare one, such as the preprocessor's <c>mode</c>, keeps it).
    /// </summary>
    public static JsonObject ProviderConfig(JsonObject config, IComponentProvider provider)
    {
        var declared = provider.Definition.ConfigSchema["properties"] as JsonObject;
        var foreign = config.Select(p => p.Key)
            .Where(k => StandardConfigKeys.Contains(k) && declared?.ContainsKey(k) != true)
            .ToList();
        if (foreign.Count == 0)
        {
            return config;
        }

        var copy = (JsonObject)config.DeepClone();
        foreach (var key in foreign)
        {
            copy.Remove(key);
        }

        return copy;
    }

    private static List<ComponentDefinition> ReadComponents(JsonObject pipeline, List<ValidationIssue> errors)
    {
        var result = new List<ComponentDefinition>();
        if (pipeline["components"] is not JsonArray array)
        {
            errors.Add(new("Pipeline 'components' must be a list of components"));
            return result;
        }

        if (array.Count == 0)
        {
            // Nothing could run, and every later step assumes a source component exists.
            errors.Add(new("Pipeline 'components' is empty: a pipeline needs at least its source component"));
            return result;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject item)
            {
                errors.Add(new($"Component #{i + 1} must be an object"));
                continue;
            }

            var id = ReadString(item, "id");
            if (string.IsNullOrEmpty(id))
            {
                errors.Add(new($"Component #{i + 1} has no 'id'"));
                continue;
            }

            if (!seen.Add(id))
            {
                errors.Add(new($"Duplicate component id \"{id}\"", id));
                continue;
            }

            var provider = ReadString(item, "provider");
            if (string.IsNullOrEmpty(provider))
            {
                errors.Add(new($"Component \"{id}\" has no 'provider'", id));
                continue;
            }

            var config = item["config"] switch
            {
                JsonObject c => c,
                null => [],
                _ => null,
            };
            if (config is null)
            {
                errors.Add(new($"Component \"{id}\": 'config' must be an object", id));
                continue;
            }

            var retry = RetryPolicy.Parse(item["retry"], $"Component \"{id}\": 'retry'", out var retryError);
            if (retryError is not null)
            {
                errors.Add(new(retryError, id));
            }

            result.Add(new ComponentDefinition(
                id,
                provider,
                ReadString(item, "name"),
                config,
                ReadEdges(item, "input", "lane", id, errors).Select(e => new LaneInput(e.Kind, e.From)).ToList(),
                ReadEdges(item, "control", "classType", id, errors).Select(e => new ControlInput(e.Kind, e.From)).ToList())
            {
                Retry = retry,
            });
        }

        return result;
    }

    private static IEnumerable<(string Kind, string From)> ReadEdges(JsonObject item, string property, string kindName, string id, List<ValidationIssue> errors)
    {
        if (item[property] is null)
        {
            yield break;
        }

        if (item[property] is not JsonArray edges)
        {
            errors.Add(new($"Component \"{id}\": '{property}' must be a list", id));
            yield break;
        }

        foreach (var edge in edges)
        {
            var kind = edge is JsonObject e ? ReadString(e, kindName) : null;
            var from = edge is JsonObject f ? ReadString(f, "from") : null;
            if (string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(from))
            {
                errors.Add(new($"Component \"{id}\": each {property} needs '{kindName}' and 'from'", id));
                continue;
            }

            yield return (kind, from);
        }
    }

    private static string? ResolveSource(JsonObject pipeline, List<ComponentDefinition> components, string? sourceOverride, List<ValidationIssue> errors)
    {
        if (string.IsNullOrEmpty(sourceOverride) && pipeline["source"] is { } given
            && given.GetValueKind() is not (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Null))
        {
            // A loose type is refused, not read as "no source" and replaced by a guess.
            errors.Add(new("Pipeline 'source' must be a string: the id of the source component"));
            return null;
        }

        var source = !string.IsNullOrEmpty(sourceOverride) ? sourceOverride : ReadString(pipeline, "source");
        if (string.IsNullOrEmpty(source))
        {
            var implied = components.Where(c => string.Equals(ReadString(c.Config, "mode"), "Source", StringComparison.Ordinal)).ToList();
            if (implied.Count > 1)
            {
                errors.Add(new("Pipeline has multiple source components, please specify one explicitly"));
                return null;
            }

            if (implied.Count == 0)
            {
                if (components.Count > 0)
                {
                    errors.Add(new("Pipeline does not have a source component defined"));
                }

                return null;
            }

            source = implied[0].Id;
        }

        if (components.Count > 0 && components.All(c => c.Id != source))
        {
            errors.Add(new($"Pipeline source component \"{source}\" not found in components list", source));
            return null;
        }

        return source;
    }

    private static void CheckEdges(
        List<ComponentDefinition> components,
        Dictionary<string, IComponentProvider> providers,
        string? source,
        List<ValidationIssue> errors,
        List<ValidationIssue> warnings)
    {
        var ids = components.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var component in components)
        {
            foreach (var input in component.Inputs)
            {
                if (!ids.Contains(input.From))
                {
                    errors.Add(new($"Component \"{component.Id}\": input from unknown component \"{input.From}\"", component.Id));
                    continue;
                }

                if (providers.TryGetValue(input.From, out var producer) && !producer.Definition.OutputLanes.Contains(input.Lane, StringComparer.Ordinal))
                {
                    errors.Add(new($"Component \"{component.Id}\": \"{input.From}\" ({producer.Definition.Name}) does not produce lane \"{input.Lane}\"", component.Id));
                }

                if (providers.TryGetValue(component.Id, out var consumer) && !consumer.Definition.Lanes.ContainsKey(input.Lane))
                {
                    errors.Add(new($"Component \"{component.Id}\" ({consumer.Definition.Name}) does not accept lane \"{input.Lane}\"", component.Id));
                }
            }

            foreach (var control in component.Controls)
            {
                if (!ids.Contains(control.From))
                {
                    errors.Add(new($"Component \"{component.Id}\": control from unknown component \"{control.From}\"", component.Id));
                }
            }

            if (component.Id != source && component.Inputs.Count == 0 && component.Controls.Count == 0)
            {
                warnings.Add(new($"Component \"{component.Id}\" has no input and will never receive data", component.Id));
            }
        }
    }

    private static void CheckCycles(List<ComponentDefinition> components, List<ValidationIssue> errors)
    {
        var consumers = components.ToDictionary(c => c.Id, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var component in components)
        {
            foreach (var input in component.Inputs.Where(i => consumers.ContainsKey(i.From)))
            {
                consumers[input.From].Add(component.Id);
            }
        }

        // 0 = unvisited, 1 = on the current path, 2 = done.
        var marks = components.ToDictionary(c => c.Id, _ => 0, StringComparer.Ordinal);
        var path = new List<string>();

        bool Visit(string id)
        {
            marks[id] = 1;
            path.Add(id);
            foreach (var next in consumers[id])
            {
                if (marks[next] == 1)
                {
                    var start = path.IndexOf(next);
                    errors.Add(new($"Pipeline has a cycle: {string.Join(" → ", path.Skip(start).Append(next))}", next));
                    return true;
                }

                if (marks[next] == 0 && Visit(next))
                {
                    return true;
                }
            }

            path.RemoveAt(path.Count - 1);
            marks[id] = 2;
            return false;
        }

        foreach (var component in components)
        {
            if (marks[component.Id] == 0 && Visit(component.Id))
            {
                return;
            }
        }
    }

    private static void FillSourceDefaults(JsonObject pipeline, string source)
    {
        if (pipeline["components"] is not JsonArray array)
        {
            return;
        }

        foreach (var item in array.OfType<JsonObject>())
        {
            if (ReadString(item, "id") != source)
            {
                continue;
            }

            if (item["config"] is not JsonObject config)
            {
                config = [];
                item["config"] = config;
            }

            config["mode"] ??= "Source";
            config["type"] ??= ReadString(item, "provider");
        }
    }

    private static string? ReadString(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
