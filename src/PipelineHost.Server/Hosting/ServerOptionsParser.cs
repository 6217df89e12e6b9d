using System.Globalization;
using PipelineHost.Engine.Callbacks;

namespace PipelineHost.Server.Hosting;

/// <summary>
/// Reads <see cref="ServerOptions"/> from the command line and <c>PIPELINEHOST_*</c> environment variables.
/// The command line wins. Options that may repeat (<c>--api-key</c>) also accept comma-separated lists.
/// Callback settings use configuration keys (<c>--PipelineHost:Callbacks:SigningKey KEY</c>, or the environment
/// variable <c>PipelineHost__Callbacks__SigningKey</c>), matched case-insensitively as ASP.NET configuration is.
/// </summary>
public static class ServerOptionsParser
{
    /// <summary>Parses <paramref name="args"/> over the values in <paramref name="environment"/>.</summary>
    /// <exception cref="ArgumentException">An option is unknown, lacks its value or has a bad value.</exception>
    public static ServerOptions Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        var options = new ServerOptions();
        options = ApplyEnvironment(options, environment);

        var apiKeys = new List<string>();
        var roots = new List<string>();
        var execs = new List<string>();
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
                case var key when CallbackKey(key) is { } setting:
                    options = options with { Callbacks = ApplyCallbackSetting(options.Callbacks, setting, value) };
                    break;
                default:
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

        return options;
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

        // Sorted, so that the result does not depend on the dictionary's order when a key is spelled twice.
        foreach (var (name, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!string.IsNullOrWhiteSpace(value) && CallbackKey(name.Replace("__", ":", StringComparison.Ordinal)) is { } setting)
            {
                options = options with { Callbacks = ApplyCallbackSetting(options.Callbacks, setting, value) };
            }
        }

        return options;
    }

    private const string CallbackSection = "PipelineHost:Callbacks:";

    /// <summary>The setting a configuration key names (<c>PipelineHost:Callbacks:&lt;setting&gt;</c>), else null.</summary>
    private static string? CallbackKey(string key) =>
        key.StartsWith(CallbackSection, StringComparison.OrdinalIgnoreCase) ? key[CallbackSection.Length..] : null;

    private static CallbackOptions ApplyCallbackSetting(CallbackOptions callbacks, string setting, string value)
    {
        var name = CallbackSection + setting;
        return setting.ToUpperInvariant() switch
        {
            "SIGNINGKEY" => callbacks with { SigningKey = value.Length > 0 ? value : throw new ArgumentException($"Option '{name}' must not be empty.") },
            "ALLOWPRIVATENETWORKS" => callbacks with { AllowPrivateNetworks = ParseBool(name, value) },
            "MAXATTEMPTS" => callbacks with
            {
                MaxAttempts = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var attempts) && attempts is >= 1 and <= 20
                    ? attempts
                    : throw new ArgumentException($"Option '{name}' must be a whole number from 1 to 20."),
            },
            "INITIALDELAY" => callbacks with { InitialDelay = TimeSpan.FromSeconds(ParseSeconds(name, value)) },
            "ATTEMPTTIMEOUT" => callbacks with
            {
                AttemptTimeout = ParseSeconds(name, value) is > 0 and var seconds
                    ? TimeSpan.FromSeconds(seconds)
                    : throw new ArgumentException($"Option '{name}' must be a positive number of seconds."),
            },
            _ => throw new ArgumentException($"Unknown option '{name}' (known: SigningKey, AllowPrivateNetworks, MaxAttempts, InitialDelay, AttemptTimeout)."),
        };
    }

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

    private static IEnumerable<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
