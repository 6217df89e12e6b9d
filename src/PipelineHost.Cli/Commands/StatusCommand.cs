using System.CommandLine;
using PipelineHost.Cli.Output;

namespace PipelineHost.Cli.Commands;

/// <summary><c>status &lt;token&gt; [--json]</c>: a task's status once.</summary>
internal sealed class StatusCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _token = new("token") { Description = "The task token" };
    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("status", "Show a task's status") { _token, _json };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            var status = await client.GetTaskStatusAsync(parse.GetRequiredValue(_token), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(_json))
            {
                await JsonOutput.WriteAsync(Environment.Out, status.Raw.DeepClone(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Environment.Console.Write(StatusView.Render(status));
            }

            return ExitCodes.Success;
        }
    }
}
