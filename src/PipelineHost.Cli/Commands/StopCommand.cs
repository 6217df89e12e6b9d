using System.CommandLine;
using Spectre.Console;

namespace PipelineHost.Cli.Commands;

/// <summary><c>stop &lt;token&gt;</c>: terminates a task and returns once it has stopped.</summary>
internal sealed class StopCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _token = new("token") { Description = "The task token" };

    public override Command Create()
    {
        var command = new Command("stop", "Stop a task") { _token };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var token = parse.GetRequiredValue(_token);
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            await client.TerminateAsync(token, cancellationToken).ConfigureAwait(false);
            Environment.Console.MarkupLine($"Stopped {Markup.Escape(token)}.");
            return ExitCodes.Success;
        }
    }
}
