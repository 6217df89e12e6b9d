using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Server.Hosting;

/// <summary>
/// Reads <see cref="ServerOptions"/> through one mechanism: every option of <see cref="ServerOptionTable"/> is a
/// configuration key (<c>PipelineHost:MaxConcurrentTasks</c>) fed, lowest first, by <c>appsettings.json</c>, by
/// environment variables in configuration form (<c>PipelineHost__MaxConcurrentTasks</c>) and in short form
/// (<c>PIPELINEHOST_MAX_CONCURRENT_TASKS</c>), then by the command line in configuration form
/// (<c>--PipelineHost:MaxConcurrentTasks=8</c>) and in short form (<c>--max-concurrent-tasks 8</c>); the later wins.
/// Structured sections (<c>PipelineHost:TokenRates</c>, <c>PipelineHost:Callbacks</c>) come from the same
/// configuration. A bad value fails with a message naming the option as it was given.
/// </summary>
public static class ServerOptionsParser
{
    /// <summary>The file of settings, looked for in the folder the server starts in.</summary>
    public const string SettingsFile = "appsettings.json";

    /// <summary>The largest worker pool accepted: each idle worker is a process holding memory.</summary>
    public const int MaxWorkerPoolSize = 64;

    private const string ConfigurationPrefix = "PipelineHost:";

    /// <summary>Serilog.Settings.Configuration's section (levels and sinks), layered like the options and handed to the host.</summary>
    private const string LoggingPrefix = "Serilog:";

    private static bool IsConfigurationKey(string key) =>
        key.StartsWith(ConfigurationPrefix, StringComparison.OrdinalIgnoreCase) || key.StartsWith(LoggingPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="args"/> over the values in <paramref name="environment"/> over <paramref name="settings"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="environment">The process environment.</param>
    /// <param name="settings">The lowest layer of configuration, usually <see cref="SettingsFile"/>; none when null.</param>
    /// <exception cref="ArgumentException">An option is unknown, lacks its value or has a bad value.</exception>
    public static ServerOptions Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment, IConfiguration? settings = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);

        // Where the winning value of each key came from, for error messages: later layers overwrite.
        var sources = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var builder = new ConfigurationBuilder();
        if (settings is not null)
        {
            builder.AddConfiguration(settings);
            foreach (var option in ServerOptionTable.All)
            {
                sources[option.ConfigurationKey] = $"Configuration '{option.ConfigurationKey}'";
            }
        }

        builder.AddInMemoryCollection(Layer(ConfigurationVariables(environment), sources, key => $"Configuration '{key}'"));
        builder.AddInMemoryCollection(Layer(ShortVariables(environment), sources, key => $"Environment variable '{OptionOf(key).EnvironmentVariable}'"));
        var (configured, switches) = ReadCommandLine(args);
        builder.AddInMemoryCollection(Layer(configured, sources, key => $"Configuration '{key}'"));
        builder.AddInMemoryCollection(Layer(switches, sources, key => $"Option '--{OptionOf(key).Name}'"));
        var configuration = builder.Build();

        var options = new ServerOptions();
        foreach (var option in ServerOptionTable.All)
        {
            if (Value(configuration, option) is not { } value)
            {
                continue;
            }

            var source = sources.GetValueOrDefault(option.ConfigurationKey, $"Configuration '{option.ConfigurationKey}'");
            options = option.TryApply(options, value)
                ?? throw new ArgumentException(option.IsSecret ? $"{source} must be {option.Rule}." : $"{source} must be {option.Rule}, not '{value}'.");
        }

        return options with
        {
            LoggingConfiguration = configuration,
            TokenRates = TokenRates.FromConfiguration(configuration),
            Callbacks = CallbackOptions.FromConfiguration(configuration),
        };
    }

    /// <summary>An option's value: a scalar, or a list's items (a JSON array in <c>appsettings.json</c>) joined by commas.</summary>
    private static string? Value(IConfiguration configuration, ServerOption option)
    {
        var section = configuration.GetSection(option.ConfigurationKey);
        if (section.Value is { } scalar)
        {
            return scalar;
        }

        var items = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        return option.IsList && items.Count > 0 ? string.Join(',', items) : null;
    }

    private static Dictionary<string, string?> Layer(Dictionary<string, string?> values, Dictionary<string, string> sources, Func<string, string> describe)
    {
        foreach (var key in values.Keys)
        {
            sources[key] = describe(key);
        }

        return values;
    }

    private static ServerOption OptionOf(string key) =>
        ServerOptionTable.All.First(o => string.Equals(o.ConfigurationKey, key, StringComparison.OrdinalIgnoreCase));

    /// <summary><c>PipelineHost__X__Y</c> variables as <c>PipelineHost:X:Y</c>, the environment provider's convention.</summary>
    private static Dictionary<string, string?> ConfigurationVariables(IReadOnlyDictionary<string, string?> environment) =>
        environment
            .Select(e => (Key: e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value))
            .Where(e => IsConfigurationKey(e.Key))
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary><c>PIPELINEHOST_X</c> variables of the table's options; blank ones count as not set.</summary>
    private static Dictionary<string, string?> ShortVariables(IReadOnlyDictionary<string, string?> environment) =>
        ServerOptionTable.All
            .Where(o => environment.TryGetValue(o.EnvironmentVariable, out var v) && !string.IsNullOrWhiteSpace(v))
            .ToDictionary(o => o.ConfigurationKey, o => environment[o.EnvironmentVariable], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Splits the command line into <c>--PipelineHost:…</c> settings and the table's switches (a list option may
    /// repeat; its values are joined). ASP.NET's own switches (<c>--urls</c>, <c>--environment</c>, …) pass through.
    /// </summary>
    private static (Dictionary<string, string?> Configured, Dictionary<string, string?> Switches) ReadCommandLine(IReadOnlyList<string> args)
    {
        var configured = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var switches = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }

            string name;
            string value;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                name = arg[2..equals];
                value = arg[(equals + 1)..];
            }
            else if (ServerOptionTable.Find(arg[2..]) is { IsFlag: true } && (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                name = arg[2..];
                value = "true"; // a flag alone means true (--metrics-public)
            }
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"Option '--{name}' needs a value.");
                }

                value = args[++i];
            }

            if (ServerOptionTable.Find(name) is { } option)
            {
                switches[option.ConfigurationKey] = option.IsList && switches.GetValueOrDefault(option.ConfigurationKey) is { } earlier
                    ? earlier + "," + value
                    : value;
            }
            else if (IsConfigurationKey(name))
            {
                configured[name] = value;
            }
            else if (!name.Contains(':', StringComparison.Ordinal) && name is not ("urls" or "environment" or "contentRoot"))
            {
                throw new ArgumentException($"Unknown option '--{name}' (see --help)");
            }
        }

        return (configured, switches);
    }
}
