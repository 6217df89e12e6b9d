using PipelineHost.Client;
using Spectre.Console;

namespace PipelineHost.Cli;

/// <summary>Where a connection goes and with what credential.</summary>
/// <param name="Uri">The server address as given (normalised by the SDK).</param>
/// <param name="ApiKey">The credential.</param>
public sealed record ConnectionSettings(string Uri, string ApiKey);

/// <summary>
/// Everything a command touches outside itself, injected so tests run commands in-process with captured output:
/// standard output (JSON goes here), standard error (the one-line errors), the rich console (tables, progress),
/// environment variables, the working folder and how to connect.
/// </summary>
public sealed record CliEnvironment
{
    /// <summary>Standard output, for <c>--json</c> documents.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error, for <c>pipelinehost: &lt;message&gt;</c>.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>The rich console for tables and progress; writes to standard output.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Reads an environment variable.</summary>
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The folder relative paths (and the default server data folder) are resolved against.</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Opens an authenticated client.</summary>
    public Func<ConnectionSettings, CancellationToken, Task<PipelineHostClient>> Connect { get; init; } = DefaultConnectAsync;

    /// <summary>The process's own console, stdout and stderr.</summary>
    public static CliEnvironment FromProcess() => new()
    {
        Out = System.Console.Out,
        Error = System.Console.Error,
        Console = AnsiConsole.Console,
    };

    private static Task<PipelineHostClient> DefaultConnectAsync(ConnectionSettings settings, CancellationToken cancellationToken) =>
        PipelineHostClient.ConnectAsync(settings.Uri, settings.ApiKey, new PipelineHostClientOptions { ClientName = "pipelinehost CLI" }, cancellationToken);
}
