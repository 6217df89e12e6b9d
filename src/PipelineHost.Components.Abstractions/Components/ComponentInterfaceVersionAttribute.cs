namespace PipelineHost.Pipelines.Components;

/// <summary>The version of the component interface this assembly defines.</summary>
public static class ComponentInterface
{
    /// <summary>
    /// Raised whenever a change to these types would break a plug-in built before it. A host loads only plug-ins
    /// that declare exactly this version with <see cref="ComponentInterfaceVersionAttribute"/>.
    /// </summary>
    public const int Version = 1;
}

/// <summary>
/// Marks an assembly as a PipelineHost component plug-in built against <see cref="Version"/> of the component
/// interface: <c>[assembly: ComponentInterfaceVersion(ComponentInterface.Version)]</c>. The constant is compiled
/// into the plug-in, so the host can tell a plug-in built for another version and refuse it by name.
/// </summary>
/// <param name="version">The <see cref="ComponentInterface.Version"/> the plug-in was built against.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class ComponentInterfaceVersionAttribute(int version) : Attribute
{
    /// <summary>The component interface version the plug-in was built against.</summary>
    public int Version { get; } = version;
}
