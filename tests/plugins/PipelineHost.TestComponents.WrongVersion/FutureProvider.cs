using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;

// As if built against an interface from the future: the host must refuse it before creating anything.
[assembly: ComponentInterfaceVersion(ComponentInterface.Version + 1)]

namespace PipelineHost.TestComponents.WrongVersion;

/// <summary>A provider the host never creates: its assembly was built for another interface version.</summary>
public sealed class FutureProvider : IComponentProvider
{
    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new("future", "Future", "Never loaded.", ["transform"],
        new Dictionary<string, IReadOnlyList<string>>(), new JsonObject { ["type"] = "object" });

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment) => throw new NotSupportedException();
}
