using System.Reflection;
using System.Runtime.Loader;

namespace PipelineHost.Pipelines.Components.Plugins;

/// <summary>
/// The load context of one plug-in: its own dependencies come from its folder (by its <c>.deps.json</c> when it has
/// one), so two plug-ins may carry different versions of a library; the component interface comes from the host.
/// </summary>
internal sealed class PluginLoadContext(string mainAssemblyPath)
    : AssemblyLoadContext(Path.GetFileNameWithoutExtension(mainAssemblyPath), isCollectible: false)
{
    /// <summary>The assembly every plug-in must share with the host: a private copy would make its providers strangers.</summary>
    public const string SharedAssembly = "PipelineHost.Components.Abstractions";

    private readonly AssemblyDependencyResolver _resolver = new(mainAssemblyPath);

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (string.Equals(assemblyName.Name, SharedAssembly, StringComparison.Ordinal))
        {
            return null; // from the default context, the host's own
        }

        return _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
        _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
}
