using System.CommandLine;
using System.Globalization;
using PipelineHost.Cli.Output;
using Spectre.Console;

namespace PipelineHost.Cli.Commands;

/// <summary><c>retry-failed &lt;token&gt; [--json]</c>: starts a retry task over a finished task's failed items.</summary>
internal sealed class RetryFailedCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _token = new("token") { Description = "The finished task's token" };
    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("retry-failed", "Reprocess a finished task's failed items in a new retry task") { _token, _json };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            var retry = await client.RetryFailedAsync(parse.GetRequiredValue(_token), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(_json))
            {
                await JsonOutput.WriteAsync(Environment.Out, retry.Task.Raw.DeepClone(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var token = Markup.Escape(retry.Task.Token);
                Environment.Console.MarkupLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Retrying {retry.NbItems} failed items of {Markup.Escape(retry.RetryOf)} in task {token}; follow it with: pipelinehost watch {token}"));
            }

            return ExitCodes.Success;
        }
    }
}
