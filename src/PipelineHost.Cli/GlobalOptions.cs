using System.CommandLine;

namespace PipelineHost.Cli;

/// <summary>
/// <c>--uri</c> and <c>--api-key</c>, accepted after any command. Unset, they come from <c>PIPELINEHOST_URI</c> and
/// <c>PIPELINEHOST_API_KEY</c>; without a key anywhere, the key file a server started in the working folder
/// generated (<c>.pipelinehost/api-key</c>) is used, so <c>serve</c> then <c>run</c> in one folder needs no setup.
/// </summary>
public sealed class GlobalOptions(CliEnvironment environment)
{
    /// <summary>Where a server listens unless told otherwise.</summary>
    public const string DefaultUri = "ws://127.0.0.1:5565";

    /// <summary>The server address option.</summary>
    public Option<string?> Uri { get; } = new("--uri")
    {
        Description = $"Server address (env PIPELINEHOST_URI; default {DefaultUri}); http(s)://, ws(s):// or host:port",
        Recursive = true,
    };

    /// <summary>The credential option.</summary>
    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "API key (env PIPELINEHOST_API_KEY; default: ./.pipelinehost/api-key when a local server made one)",
        Recursive = true,
    };

    /// <summary>Resolves the settings for one invocation.</summary>
    /// <exception cref="CliException">No API key anywhere (a usage error).</exception>
    public ConnectionSettings Resolve(ParseResult parse)
    {
        var uri = FirstNonEmpty(parse.GetValue(Uri), environment.GetVariable("PIPELINEHOST_URI")) ?? DefaultUri;
        var key = FirstNonEmpty(parse.GetValue(ApiKey), FirstOfList(environment.GetVariable("PIPELINEHOST_API_KEY")), ReadLocalKeyFile())
            ?? throw new CliException("no API key: pass --api-key, set PIPELINEHOST_API_KEY, or run where `pipelinehost serve` keeps .pipelinehost/api-key", ExitCodes.Usage);
        return new ConnectionSettings(uri, key);
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();

    // The server reads PIPELINEHOST_API_KEY as a comma-separated list of accepted keys; any one of them works.
    private static string? FirstOfList(string? value) => value?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    private string? ReadLocalKeyFile()
    {
        var path = Path.Combine(environment.WorkingDirectory, ".pipelinehost", "api-key");
        try
        {
            return File.Exists(path) ? File.ReadLines(path).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
