namespace PipelineHost.Server.Hosting;

/// <summary>What <c>--help</c> prints: how to start the server and its options, as README.md's table.</summary>
public static class ServerHelp
{
    /// <summary>True when <paramref name="args"/> asks for help (<c>--help</c>, <c>-h</c>, <c>-?</c>).</summary>
    public static bool IsRequested(IReadOnlyList<string> args) => args.Any(a => a is "--help" or "-h" or "-?");

    /// <summary>The help text; the options come from <see cref="ServerOptionTable"/>, as README.md's table does.</summary>
    public static string Text
    {
        get
        {
            var text = new System.Text.StringBuilder()
                .AppendLine("PipelineHost server: runs pipeline tasks, each in its own worker process, over WebSocket (/task/service) and HTTP.")
                .AppendLine()
                .AppendLine("Usage: PipelineHost.Server [options]   (or: pipelinehost serve [options])")
                .AppendLine()
                .AppendLine("Options (command line; environment variable; appsettings.json key):");
            foreach (var option in ServerOptionTable.All)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  --{option.Name} {option.Placeholder}")
                    .AppendLine()
                    .Append(System.Globalization.CultureInfo.InvariantCulture, $"      {option.EnvironmentVariable}; {option.ConfigurationKey}")
                    .AppendLine()
                    .Append(System.Globalization.CultureInfo.InvariantCulture, $"      default {option.Default.Replace("`", string.Empty, StringComparison.Ordinal)}: {option.Description}")
                    .AppendLine();
            }

            return text
                .AppendLine("  --PipelineHost:Section:Key=VALUE   any configuration setting (TokenRates, Callbacks, ...)")
                .AppendLine("  --Serilog:Key=VALUE                 log levels and sinks (see protocol-spec/observability.md)")
                .AppendLine("  -h, --help                          this text")
                .AppendLine()
                .AppendLine("Pipelines may use ${PIPELINEHOST_*} and ${ROCKETRIDE_*} placeholders: their values come from this server's")
                .AppendLine("environment when it starts. More: README.md and protocol-spec/.")
                .ToString();
        }
    }
}
