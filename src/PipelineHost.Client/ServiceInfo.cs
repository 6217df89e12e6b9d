using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Client;

/// <summary>One component provider the server offers (an entry of <c>rrext_services</c>).</summary>
/// <param name="Name">The provider name used in pipelines, e.g. <c>webhook</c>.</param>
/// <param name="Title">A short human name.</param>
/// <param name="Description">What it does.</param>
public sealed record ServiceInfo(string Name, string Title, string Description)
{
    /// <summary>The definition as received, with its lanes, config schema and any engine-specific sections.</summary>
    public JsonObject Raw { get; init; } = [];

    internal static ServiceInfo FromJson(string name, JsonObject definition) =>
        new(name, JsonFields.StringOrEmpty(definition, "title"), JsonFields.StringOrEmpty(definition, "description")) { Raw = definition };
}

/// <summary>Every provider the server offers (<c>rrext_services</c> without a name).</summary>
/// <param name="Services">By provider name.</param>
/// <param name="Version">The catalogue's revision, when the server reports one.</param>
public sealed record ServiceCatalog(IReadOnlyDictionary<string, ServiceInfo> Services, string? Version)
{
    /// <summary>The body as received.</summary>
    public JsonObject Raw { get; init; } = [];

    internal static ServiceCatalog FromJson(JsonObject body)
    {
        var services = new SortedDictionary<string, ServiceInfo>(StringComparer.Ordinal);
        foreach (var (name, definition) in JsonFields.Object(body, "services") ?? [])
        {
            if (definition is JsonObject obj)
            {
                services[name] = ServiceInfo.FromJson(name, obj);
            }
        }

        // RocketRide reports the version as a number or a string; keep it as text either way.
        var version = body["version"] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v => v.ToJsonString(),
            _ => null,
        };
        return new ServiceCatalog(services, version) { Raw = body };
    }
}
