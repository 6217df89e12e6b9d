using System.CommandLine;
using Microsoft.Extensions.Hosting;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Cli.Commands;

/// <summary>
/// <c>serve [server options]</c>: runs the real server in this process until Ctrl+C. Everything after <c>serve</c> goes
/// to the server untouched (<c>--port</c>, <c>--host</c>, <c>--api-key</c>, <c>--data-dir</c>, …), so it behaves
/// exactly like <c>dotnet run --project src/PipelineHost.Server</c>.
/// </summary>
internal sealed class ServeCommand(CliEnvironment environment, GlobalOptions globals, IReadOnlyList<string> commandLine)
    : CliCommand(environment, globals)
{
    public override Command Create()
    {
        var command = new Command("serve", "Run a PipelineHost server here until Ctrl+C; options after it go to the server (`pipelinehost serve --help` lists them)")
        {
            // The server parses its own options: ours must not reject them.
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction((_, cancellationToken) => RunAsync(cancellationToken));
        return command;
    }

    private async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var serverArgs = commandLine.SkipWhile(a => a != "serve").Skip(1).ToArray();
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = PipelineHostApp.Build(serverArgs);
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message, ExitCodes.Usage);
        }

        await using (app.ConfigureAwait(false))
        {
            await ((IHost)app).RunAsync(cancellationToken).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }
}
