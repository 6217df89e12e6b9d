using PipelineHost.Engine.Diagnostics;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Plugins;

namespace PipelineHost.Server.Hosting;

/// <summary>Builds the host's component catalogue: the built-ins and the plug-ins of the components folder.</summary>
internal static partial class ComponentCatalogs
{
    /// <summary>
    /// Loads the plug-ins of <paramref name="directory"/> (none when null) into a catalogue, logging each by name:
    /// the providers it added, or why it was refused. A refused plug-in never stops the others or the host.
    /// </summary>
    public static ComponentCatalog Load(string? directory, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(ComponentCatalogs).FullName!);
        var plugins = ComponentPlugins.Load(directory, ComponentCatalog.ReservedNames);
        foreach (var report in plugins.Reports)
        {
            if (report.Error is null)
            {
                Log.PluginLoaded(logger, report.Name, string.Join(", ", report.Providers));
            }
            else
            {
                Log.PluginRefused(logger, report.Name, report.Error);
            }
        }

        return ComponentCatalog.CreateDefault(plugins);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEventIds.PluginLoaded, Level = LogLevel.Information, Message = "Component plug-in {Plugin} loaded: {Providers}")]
        public static partial void PluginLoaded(ILogger logger, string plugin, string providers);

        [LoggerMessage(EventId = LogEventIds.PluginRefused, Level = LogLevel.Error, Message = "Component plug-in {Plugin} refused: {Reason}")]
        public static partial void PluginRefused(ILogger logger, string plugin, string reason);
    }
}
