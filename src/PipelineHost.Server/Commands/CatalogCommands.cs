using System.Text.Json.Nodes;
using PipelineHost.Engine.Tasks;
using PipelineHost.Pipelines.Components;

namespace PipelineHost.Server.Commands;

/// <summary><c>rrext_services</c> (the component catalogue) and <c>rrext_validate</c>.</summary>
internal sealed class CatalogCommands(TaskManager tasks) : ICommandModule
{
    /// <summary>The catalogue format revision reported as <c>version</c>.</summary>
    public const int CatalogVersion = 1;

    public void Register(CommandTable table)
    {
        table.Add(new CommandDefinition("rrext_services", Services));
        table.Add(new CommandDefinition("rrext_validate", Validate));
    }

    /// <summary>The body of <c>rrext_services</c>; shared with <c>GET /services</c>.</summary>
    public static JsonNode ServicesBody(ComponentCatalog catalog, string? service)
    {
        if (!string.IsNullOrEmpty(service))
        {
            return catalog.TryGet(service, out var provider)
                ? Describe(provider.Definition)
                : throw new CommandException($"Service '{service}' not found. Please check the service name and try again.");
        }

        var services = new JsonObject();
        foreach (var provider in catalog.Providers)
        {
            services[provider.Definition.Name] = Describe(provider.Definition);
        }

        var body = new JsonObject { ["services"] = services, ["version"] = CatalogVersion };
        if (catalog.Plugins.Count > 0)
        {
            // Each plug-in of the components folder by name: what it added, or why it was refused.
            body["plugins"] = new JsonArray(catalog.Plugins.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["providers"] = new JsonArray(p.Providers.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["error"] = p.Error,
            }).ToArray());
        }

        return body;
    }

    /// <summary>A provider's catalogue entry.</summary>
    public static JsonObject Describe(ServiceDefinition definition)
    {
        var lanes = new JsonObject();
        foreach (var (input, outputs) in definition.Lanes)
        {
            lanes[input] = new JsonArray(outputs.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray());
        }

        var entry = new JsonObject
        {
            ["title"] = definition.Title,
            ["description"] = definition.Description,
            ["protocol"] = definition.Name + "://",
            ["prefix"] = definition.Name,
            ["classType"] = new JsonArray(definition.ClassTypes.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
            ["capabilities"] = new JsonArray(definition.Capabilities.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
            ["source"] = definition.Source.ToString().ToLowerInvariant(),
            ["lanes"] = lanes,
            ["config"] = definition.ConfigSchema.DeepClone(),
        };
        if (definition.Example is not null)
        {
            entry["example"] = definition.Example.DeepClone();
        }

        return entry;
    }

    private ValueTask<CommandResult> Services(CommandContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(CommandResult.Ok(ServicesBody(tasks.Catalog, context.GetString("service"))));

    private ValueTask<CommandResult> Validate(CommandContext context, CancellationToken cancellationToken)
    {
        var body = new JsonObject();
        try
        {
            var result = tasks.Validate(context.Arguments["pipeline"], context.GetString("source"), context.GetObject("env"));
            body["pipeline"] = result.Normalized;
            body["errors"] = new JsonArray(result.Errors.Select(e => (JsonNode)e.ToJson()).ToArray());
            body["warnings"] = new JsonArray(result.Warnings.Select(w => (JsonNode)w.ToJson()).ToArray());
            body["notes"] = new JsonArray(result.Notes.Select(n => (JsonNode)n.ToJson()).ToArray());
        }
        catch (TaskException ex)
        {
            // An unreadable pipeline is a validation finding, not a failed request.
            body["pipeline"] = context.Arguments["pipeline"]?.DeepClone();
            body["errors"] = new JsonArray(new JsonObject { ["message"] = ex.Message });
            body["warnings"] = new JsonArray();
            body["notes"] = new JsonArray();
        }

        return ValueTask.FromResult(CommandResult.Ok(body));
    }
}
