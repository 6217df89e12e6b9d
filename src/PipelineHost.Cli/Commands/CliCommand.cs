using System.CommandLine;
using PipelineHost.Client;

namespace PipelineHost.Cli.Commands;

/// <summary>One <c>pipelinehost</c> command: its syntax and its action, with everything outside it injected.</summary>
internal abstract class CliCommand(CliEnvironment environment, GlobalOptions globals)
{
    protected CliEnvironment Environment => environment;

    /// <summary>Builds the System.CommandLine command, its action bound to this instance.</summary>
    public abstract Command Create();

    /// <summary>Connects with the invocation's <c>--uri</c>/<c>--api-key</c>.</summary>
    protected Task<PipelineHostClient> ConnectAsync(ParseResult parse, CancellationToken cancellationToken) =>
        environment.Connect(globals.Resolve(parse), cancellationToken);

    /// <summary>The <c>--json</c> option every reporting command has.</summary>
    protected static Option<bool> JsonOption() => new("--json") { Description = "Print the server's JSON answer, one document, nothing else (a failure too: {\"status\":\"Error\", …})" };

    protected string FullPath(string path) => Path.GetFullPath(path, environment.WorkingDirectory);
}
