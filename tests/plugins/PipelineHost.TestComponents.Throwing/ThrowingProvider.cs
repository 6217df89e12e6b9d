using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;

[assembly: ComponentInterfaceVersion(ComponentInterface.Version)]

namespace PipelineHost.TestComponents.Throwing;

/// <summary>A provider whose constructor throws: the host must refuse this plug-in by name and load the others.</summary>
public sealed class ThrowingProvider : IComponentProvider
{
    /// <summary>Always throws.</summary>
    public ThrowingProvider() => throw new InvalidOperationException("this plug-in is broken on purpose");

    /// <inheritdoc />
    public ServiceDefinition Definition => throw new NotSupportedException();

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment) => throw new NotSupportedException();
}
