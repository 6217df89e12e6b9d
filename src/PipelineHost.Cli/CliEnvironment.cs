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
        Console = CreateConsole(System.Console.Out, System.Console.IsOutputRedirected, Environment.GetEnvironmentVariable("NO_COLOR")),
    };

    /// <summary>How wide plain output may be: wide enough that no table cell (a token, a path) is ever wrapped.</summary>
    public const int PlainWidth = 4096;

    /// <summary>
    /// The rich console over <paramref name="output"/>. A terminal gets colour, cursor moves and live displays;
    /// a pipe or file (<paramref name="redirected"/>), or <c>NO_COLOR</c> set to anything (https://no-color.org),
    /// gets plain copyable lines: no ANSI, no cursor moves, live displays replaced by lines, and, when redirected,
    /// no wrapping at an imagined 80 columns.
    /// </summary>
    public static IAnsiConsole CreateConsole(TextWriter output, bool redirected, string? noColor)
    {
        var plain = redirected || !string.IsNullOrEmpty(noColor);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = plain ? InteractionSupport.No : InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(output),
        });
        if (redirected)
        {
            console.Profile.Width = PlainWidth;
        }

        return console;
    }

    /// <summary>True when the console takes live displays (progress bars, redrawn frames); else commands print lines.</summary>
    public bool IsLive => Console.Profile.Capabilities.Interactive && Console.Profile.Capabilities.Ansi;

    private static Task<PipelineHostClient> DefaultConnectAsync(ConnectionSettings settings, CancellationToken cancellationToken) =>
        PipelineHostClient.ConnectAsync(settings.Uri, settings.ApiKey, new PipelineHostClientOptions { ClientName = "pipelinehost CLI" }, cancellationToken);
}
