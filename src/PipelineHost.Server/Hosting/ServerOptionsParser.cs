using System.Globalization;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Server.Hosting;

/// <summary>
/// Reads <see cref="ServerOptions"/> from the command line and <c>PIPELINEHOST_*</c> environment variables.
/// The command line wins. Options that may repeat (<c>--api-key</c>) also accept comma-separated lists.
/// Structured settings (<c>PipelineHost:TokenRates</c>, <c>PipelineHost:Callbacks</c>, <c>PipelineHost:MaxConcurrentTasks</c> when
/// <c>--max-concurrent-tasks</c> and <c>PIPELINEHOST_MAX_CONCURRENT_TASKS</c> are not given, and <c>PipelineHost:WorkerPoolSize</c> when
/// <c>--worker-pool-size</c> and <c>PIPELINEHOST_WORKER_POOL_SIZE</c> are not given) come from configuration: <c>appsettings.json</c>, then
/// environment variables (<c>PipelineHost__TokenRates__CpuUtilizationPerVcpuHour</c>), then the command line
/// (<c>--PipelineHost:TokenRates:CpuUtilizationPerVcpuHour=2040</c>), later ones winning.
/// </summary>
public static class ServerOptionsParser
{
    /// <summary>The file of structured settings, looked for in the folder the server starts in.</summary>
    public const string SettingsFile = "appsettings.json";

    /// <summary>Parses <paramref name="args"/> over the values in <paramref name="environment"/> over <paramref name="settings"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="environment">The process environment.</param>
    /// <param name="settings">The lowest layer of configuration, usually <see cref="SettingsFile"/>; none when null.</param>
    /// <exception cref="ArgumentException">An option is unknown, lacks its value or has a bad value.</exception>
    public static ServerOptions Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment, IConfiguration? settings = null)
    {
        var options = new ServerOptions();
        options = ApplyEnvironment(options, environment);

        var apiKeys = new List<string>();
        var roots = new List<string>();
        var execs = new List<string>();
        var configured = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
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
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"Option '--{name}' needs a value.");
                }

                value = args[++i];
            }

            switch (name)
            {
                case "port": options = options with { Port = ParsePort(value) }; break;
                case "host": options = options with { Host = value }; break;
                case "api-key": apiKeys.AddRange(SplitList(value)); break;
                case "data-dir": options = options with { DataDirectory = Path.GetFullPath(value) }; break;
                case "allow-root": roots.AddRange(SplitList(value).Select(Path.GetFullPath)); break;
                case "allow-exec": execs.AddRange(SplitList(value).Select(Path.GetFullPath)); break;
                case "test-components": options = options with { TestComponents = ParseBool(name, value) }; break;
                case "retention": options = options with { Retention = TimeSpan.FromSeconds(ParseSeconds(name, value)) }; break;
                case "history-retention": options = options with { HistoryRetention = TimeSpan.FromSeconds(ParseSeconds(name, value)) }; break;
                case "stop-grace": options = options with { StopGrace = TimeSpan.FromSeconds(ParseSeconds(name, value)) }; break;
                case "failed-item-max-bytes": options = options with { FailedItemMaxBytes = ParseBytes(name, value) }; break;
                case "failed-task-max-bytes": options = options with { FailedTaskMaxBytes = ParseBytes(name, value) }; break;
                case "task-output-max-bytes": options = options with { TaskOutputMaxBytes = ParseBytes(name, value) }; break;
                case "object-output-max-bytes": options = options with { ObjectOutputMaxBytes = ParseBytes(name, value) }; break;
                case "pipe-idle-timeout": options = options with { PipeIdleTimeout = ParsePositiveSeconds(name, value) }; break;
                case "max-concurrent-tasks": options = options with { MaxConcurrentTasks = ParseTaskLimit(name, value) }; break;
                case "worker-pool-size": options = options with { WorkerPoolSize = ParsePoolSize($"Option '--{name}'", value) }; break;
                default:
                    if (name.StartsWith(ConfigurationPrefix, StringComparison.OrdinalIgnoreCase))
                    {
                        configured[name] = value;
                        break;
                    }

                    // ASP.NET's own switches (urls, environment...) pass through untouched.
                    if (!name.Contains(':', StringComparison.Ordinal) && name is not ("urls" or "environment" or "contentRoot"))
                    {
                        throw new ArgumentException($"Unknown option '--{name}'.");
                    }

                    break;
            }
        }

        if (apiKeys.Count > 0)
        {
            options = options with { ApiKeys = apiKeys };
        }

        if (roots.Count > 0)
        {
            options = options with { AllowedRoots = roots };
        }

        if (execs.Count > 0)
        {
            options = options with { ExecAllowList = execs };
        }

        var configuration = Configuration(settings, environment, configured);

        // --max-concurrent-tasks and PIPELINEHOST_MAX_CONCURRENT_TASKS win over the configuration's key.
        if (options.MaxConcurrentTasks is null && configuration[MaxConcurrentTasksKey] is { Length: > 0 } maxTasks)
        {
            options = options with { MaxConcurrentTasks = ParseTaskLimit(MaxConcurrentTasksKey, maxTasks) };
        }

        return options with
        {
            TokenRates = TokenRates.FromConfiguration(configuration),
            Callbacks = CallbackOptions.FromConfiguration(configuration),
            WorkerPoolSize = options.WorkerPoolSize
                ?? (configuration[WorkerPoolSizeKey] is { } poolSize ? ParsePoolSize($"Configuration '{WorkerPoolSizeKey}'", poolSize) : null),
        };
    }

    /// <summary>The configuration key of the worker pool size, used when neither the command line nor the environment gives one.</summary>
    public const string WorkerPoolSizeKey = "PipelineHost:WorkerPoolSize";

    private const string ConfigurationPrefix = "PipelineHost:";

    /// <summary>The configuration key of <see cref="ServerOptions.MaxConcurrentTasks"/> (<c>PipelineHost__MaxConcurrentTasks</c> in the environment).</summary>
    public const string MaxConcurrentTasksKey = "PipelineHost:MaxConcurrentTasks";

    private static IConfiguration Configuration(IConfiguration? settings, IReadOnlyDictionary<string, string?> environment, Dictionary<string, string?> commandLine)
    {
        var builder = new ConfigurationBuilder();
        if (settings is not null)
        {
            builder.AddConfiguration(settings);
        }

        // The environment variable provider's convention, applied to the environment we were given: '__' is ':'.
        var fromEnvironment = environment
            .Select(e => (Key: e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value))
            .Where(e => e.Key.StartsWith(ConfigurationPrefix, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.OrdinalIgnoreCase);
        return builder.AddInMemoryCollection(fromEnvironment).AddInMemoryCollection(commandLine).Build();
    }

    private static ServerOptions ApplyEnvironment(ServerOptions options, IReadOnlyDictionary<string, string?> environment)
    {
        string? Get(string name) => environment.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;

        if (Get("PIPELINEHOST_PORT") is { } port)
        {
            options = options with { Port = ParsePort(port) };
        }

        if (Get("PIPELINEHOST_HOST") is { } host)
        {
            options = options with { Host = host };
        }

        if (Get("PIPELINEHOST_API_KEY") is { } keys)
        {
            options = options with { ApiKeys = SplitList(keys).ToList() };
        }

        if (Get("PIPELINEHOST_DATA_DIR") is { } dir)
        {
            options = options with { DataDirectory = Path.GetFullPath(dir) };
        }

        if (Get("PIPELINEHOST_ALLOW_ROOT") is { } roots)
        {
            options = options with { AllowedRoots = SplitList(roots).Select(Path.GetFullPath).ToList() };
        }

        if (Get("PIPELINEHOST_ALLOW_EXEC") is { } execs)
        {
            options = options with { ExecAllowList = SplitList(execs).Select(Path.GetFullPath).ToList() };
        }

        if (Get("PIPELINEHOST_HISTORY_RETENTION") is { } historyRetention)
        {
            options = options with { HistoryRetention = TimeSpan.FromSeconds(ParseSeconds("history-retention", historyRetention)) };
        }

        if (Get("PIPELINEHOST_PIPE_IDLE_TIMEOUT") is { } pipeIdle)
        {
            options = options with { PipeIdleTimeout = ParsePositiveSeconds("pipe-idle-timeout", pipeIdle) };
        }

        if (Get("PIPELINEHOST_MAX_CONCURRENT_TASKS") is { } maxTasks)
        {
            options = options with { MaxConcurrentTasks = ParseTaskLimit("max-concurrent-tasks", maxTasks) };
        }

        if (Get("PIPELINEHOST_WORKER_POOL_SIZE") is { } poolSize)
        {
            options = options with { WorkerPoolSize = ParsePoolSize("PIPELINEHOST_WORKER_POOL_SIZE", poolSize) };
        }

        return options;
    }

    private static int ParseTaskLimit(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit >= 1
            ? limit
            : throw new ArgumentException($"Option '--{name}' must be a whole number of at least 1.");

    /// <summary>The largest worker pool accepted: each idle worker is a process holding memory.</summary>
    public const int MaxWorkerPoolSize = 64;

    /// <summary>Reads a worker pool size given by <paramref name="source"/>: a whole number from 0 to <see cref="MaxWorkerPoolSize"/>.</summary>
    /// <exception cref="ArgumentException">It is not.</exception>
    public static int ParsePoolSize(string source, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size <= MaxWorkerPoolSize
            ? size
            : throw new ArgumentException($"{source} must be a whole number from 0 to {MaxWorkerPoolSize}, not '{value}'.");

    private static int ParsePort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new ArgumentException($"Port '{value}' is not a number from 0 to 65535.");

    private static bool ParseBool(string name, string value) =>
        bool.TryParse(value, out var result) ? result : throw new ArgumentException($"Option '--{name}' must be true or false.");

    private static double ParseSeconds(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? seconds
            : throw new ArgumentException($"Option '--{name}' must be a number of seconds.");

    private static long ParseBytes(string name, string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)
            ? bytes
            : throw new ArgumentException($"Option '--{name}' must be a number of bytes.");

    private static TimeSpan ParsePositiveSeconds(string name, string value) =>
        ParseSeconds(name, value) is var seconds and > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"Option '--{name}' must be a number of seconds greater than 0.");

    private static IEnumerable<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
