using PipelineHost.Pipelines.Components.Sinks;
using PipelineHost.Pipelines.Components.Sources;
using PipelineHost.Pipelines.Components.Entities;
using PipelineHost.Pipelines.Components.Images;
using PipelineHost.Pipelines.Components.Plugins;
using PipelineHost.Pipelines.Components.Transforms;

namespace PipelineHost.Pipelines.Components;

/// <summary>The providers a host knows, by name. The catalogue of <c>rrext_services</c> and the validator's registry.</summary>
public sealed class ComponentCatalog
{
    private readonly Dictionary<string, IComponentProvider> _providers = new(StringComparer.Ordinal);

    /// <summary>Creates a catalogue of <paramref name="providers"/>; names must be unique.</summary>
    /// <param name="providers">The providers.</param>
    /// <param name="plugins">What loading the components folder reported, for <c>rrext_services</c>; none when null.</param>
    public ComponentCatalog(IEnumerable<IComponentProvider> providers, IReadOnlyList<PluginReport>? plugins = null)
    {
        Plugins = plugins ?? [];
        foreach (var provider in providers)
        {
            if (!_providers.TryAdd(provider.Definition.Name, provider))
            {
                throw new ArgumentException($"Provider '{provider.Definition.Name}' is registered twice.", nameof(providers));
            }
        }
    }

    /// <summary>Every built-in provider plus the providers of <paramref name="plugins"/>.</summary>
    public static ComponentCatalog CreateDefault(ComponentPlugins? plugins = null)
    {
        plugins ??= ComponentPlugins.None;
        return new ComponentCatalog(BuiltIns().Concat(plugins.Providers), plugins.Reports);
    }

    /// <summary>
    /// Provider names no plug-in may take: every built-in's, and <c>failed_items</c>, the source a retry task
    /// gets in place of its own.
    /// </summary>
    public static IEnumerable<string> ReservedNames =>
        BuiltIns().Select(p => p.Definition.Name).Append(FailedItemsSourceProvider.ProviderName);

    private static List<IComponentProvider> BuiltIns() =>
    [
        new WebhookSourceProvider(),
        new FileSystemSourceProvider(),
        new SyntheticSourceProvider(),
        new ParseProvider(),
        new PreprocessorProvider(),
        new TextTransformProvider(),
        new FilterProvider(),
        new ExtractProvider(),
        new WordCountProvider(),
        new HashProvider(),
        new ClassifyProvider(),
        new ExecProvider(),
        new ResponseSinkProvider(),
        new WriterSinkProvider(),
        new NullSinkProvider(),
        new AnonymizeProvider(),
        new NerProvider(),
        new TextOutputProvider(TextOutputProvider.TextOutput),
        new TextOutputProvider(TextOutputProvider.LocalTextOutput),
        new ThumbnailProvider(),
        new OcrProvider(),
        new PostgresSinkProvider(),
    ];

    /// <summary>
    /// The catalogue a worker runs with: <see cref="CreateDefault"/> plus the <c>failed_items</c> source that
    /// retry tasks get in place of their original source. Not in the host's catalogue, so no user pipeline can
    /// name it.
    /// </summary>
    public static ComponentCatalog CreateForWorker(ComponentPlugins? plugins = null) =>
        new(CreateDefault(plugins).Providers.Append(new FailedItemsSourceProvider()));

    /// <summary>This catalogue plus <c>failed_items</c>: what the host validates a retry task's pipeline against.</summary>
    public ComponentCatalog WithRetrySource() =>
        new(Providers.Where(p => p.Definition.Name != FailedItemsSourceProvider.ProviderName).Append(new FailedItemsSourceProvider()), Plugins);

    /// <summary>One report per plug-in of the components folder, loaded or refused.</summary>
    public IReadOnlyList<PluginReport> Plugins { get; }

    /// <summary>All providers, sorted by name.</summary>
    public IEnumerable<IComponentProvider> Providers => _providers.Values.OrderBy(p => p.Definition.Name, StringComparer.Ordinal);

    /// <summary>Looks up a provider by name.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IComponentProvider? provider) =>
        _providers.TryGetValue(name, out provider);
}
