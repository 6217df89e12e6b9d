using System.CommandLine;
using PipelineHost.Client;
using Spectre.Console;

namespace PipelineHost.Cli.Commands;

/// <summary>
/// <c>stop &lt;token&gt;</c>: terminates a task and returns once it has stopped. A task that had already ended is
/// left as it is and said so, with its state (exit 0: there is nothing left to stop).
/// </summary>
internal sealed class StopCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _token = new("token") { Description = "The task token" };

    public override Command Create()
    {
        var command = new Command("stop", "Stop a running task and wait until it has stopped (one that already ended is left as it is)") { _token };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var token = parse.GetRequiredValue(_token);
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            // terminate answers success for an ended task too (as RocketRide's does): ask first, to say what is true.
            var before = await client.GetTaskStatusAsync(token, cancellationToken).ConfigureAwait(false);
            if (before.State.IsTerminal())
            {
                Environment.Console.MarkupLine($"{Markup.Escape(token)} already ended ({before.State.ToWireName()}): nothing to stop.");
                return ExitCodes.Success;
            }

            await client.TerminateAsync(token, cancellationToken).ConfigureAwait(false);
            Environment.Console.MarkupLine($"Stopped {Markup.Escape(token)}.");
            return ExitCodes.Success;
        }
    }
}
