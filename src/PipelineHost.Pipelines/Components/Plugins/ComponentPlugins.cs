using System.Globalization;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace PipelineHost.Pipelines.Components.Plugins;

/// <summary>What loading one plug-in gave: the providers it added, or why it was refused.</summary>
/// <param name="Name">The plug-in's assembly file name without extension; never a path.</param>
/// <param name="Providers">The provider names it added (none when refused).</param>
/// <param name="Error">Why it was refused; null when it loaded.</param>
public sealed record PluginReport(string Name, IReadOnlyList<string> Providers, string? Error);

/// <summary>
/// The component plug-ins of a components folder (<c>--components-dir</c>). A plug-in is a .NET assembly that
/// references <c>PipelineHost.Components.Abstractions</c>, either directly in the folder or in a subfolder of its
/// own (with its dependencies and <c>.deps.json</c>). Each is loaded in its own load context; its public
/// <see cref="IComponentProvider"/> types with a public parameterless constructor become providers. A plug-in that
/// fails (unreadable, built for another <see cref="ComponentInterface.Version"/>, a provider that throws, a name
/// already taken) is refused whole and reported by name; the others still load.
/// </summary>
public sealed class ComponentPlugins(IReadOnlyList<IComponentProvider> providers, IReadOnlyList<PluginReport> reports)
{
    /// <summary>No plug-ins.</summary>
    public static readonly ComponentPlugins None = new([], []);

    /// <summary>The providers of every plug-in that loaded.</summary>
    public IReadOnlyList<IComponentProvider> Providers { get; } = providers;

    /// <summary>One report per plug-in found, loaded or refused, in file order.</summary>
    public IReadOnlyList<PluginReport> Reports { get; } = reports;

    /// <summary>Loads the plug-ins of <paramref name="directory"/>; none when it is null or empty.</summary>
    /// <param name="directory">The components folder.</param>
    /// <param name="reservedNames">Provider names already taken (the built-ins): a plug-in naming one is refused.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static ComponentPlugins Load(string? directory, IEnumerable<string> reservedNames)
    {
        if (string.IsNullOrEmpty(directory))
        {
            return None;
        }

        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException("The components folder does not exist.");
        }

        var taken = new HashSet<string>(reservedNames, StringComparer.Ordinal);
        var providers = new List<IComponentProvider>();
        var reports = new List<PluginReport>();
        foreach (var file in Candidates(directory))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            List<IComponentProvider> loaded;
            try
            {
                if (!IsPlugin(file))
                {
                    continue; // a dependency of a plug-in, not one itself
                }

                loaded = LoadOne(file);
                var names = loaded.Select(p => p.Definition.Name).ToList();
                var clash = names.FirstOrDefault(taken.Contains) ?? names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
                if (clash is not null)
                {
                    throw new PluginException($"provider \"{clash}\" is already provided by a built-in or another plug-in");
                }

                taken.UnionWith(names);
            }
            catch (Exception ex) when (ex is PluginException or BadImageFormatException or FileLoadException or FileNotFoundException
                                           or ReflectionTypeLoadException or TypeLoadException or TargetInvocationException
                                           or MissingMethodException or InvalidOperationException or ArgumentException or IOException)
            {
                reports.Add(new PluginReport(name, [], Describe(ex)));
                continue;
            }

            providers.AddRange(loaded);
            reports.Add(new PluginReport(name, loaded.Select(p => p.Definition.Name).ToList(), null));
        }

        return new ComponentPlugins(providers, reports);
    }

    /// <summary>The <c>.dll</c> files directly in the folder, then those directly in each subfolder.</summary>
    private static IEnumerable<string> Candidates(string directory) =>
        Directory.EnumerateFiles(directory, "*.dll").Order(StringComparer.Ordinal)
            .Concat(Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal)
                .SelectMany(sub => Directory.EnumerateFiles(sub, "*.dll").Order(StringComparer.Ordinal)));

    /// <summary>True when the file is an assembly that references the component interface, read without loading it.</summary>
    private static bool IsPlugin(string file)
    {
        using var stream = File.OpenRead(file);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
        {
            throw new PluginException("not a .NET assembly");
        }

        var metadata = pe.GetMetadataReader();
        return metadata.IsAssembly && metadata.AssemblyReferences
            .Any(h => metadata.StringComparer.Equals(metadata.GetAssemblyReference(h).Name, PluginLoadContext.SharedAssembly));
    }

    private static List<IComponentProvider> LoadOne(string file)
    {
        var assembly = new PluginLoadContext(Path.GetFullPath(file)).LoadFromAssemblyPath(Path.GetFullPath(file));
        var declared = assembly.GetCustomAttribute<ComponentInterfaceVersionAttribute>()?.Version
            ?? throw new PluginException("declares no [assembly: ComponentInterfaceVersion(ComponentInterface.Version)]");
        if (declared != ComponentInterface.Version)
        {
            throw new PluginException(string.Create(CultureInfo.InvariantCulture,
                $"built for component interface version {declared}; this host has version {ComponentInterface.Version}"));
        }

        var providers = new List<IComponentProvider>();
        foreach (var type in assembly.GetExportedTypes()
                     .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IComponentProvider).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var provider = (IComponentProvider)Activator.CreateInstance(type)!;
            if (string.IsNullOrWhiteSpace(provider.Definition?.Name))
            {
                throw new PluginException($"provider {type.Name} has no name");
            }

            providers.Add(provider);
        }

        return providers.Count > 0
            ? providers
            : throw new PluginException("has no public IComponentProvider with a public parameterless constructor");
    }

    private static string Describe(Exception ex) => ex switch
    {
        PluginException => ex.Message,
        TargetInvocationException { InnerException: { } inner } => $"a provider failed to start: {inner.GetType().Name}: {inner.Message}",
        ReflectionTypeLoadException load => $"its types could not be loaded: {load.LoaderExceptions.FirstOrDefault()?.Message ?? load.Message}",
        BadImageFormatException => "not a .NET assembly",
        FileNotFoundException or FileLoadException => $"a file it needs could not be loaded: {ex.Message}",
        IOException => "its file could not be read",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private sealed class PluginException(string message) : Exception(message);
}
