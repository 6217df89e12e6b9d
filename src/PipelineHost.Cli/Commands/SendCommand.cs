using System.CommandLine;
using PipelineHost.Cli.Output;

namespace PipelineHost.Cli.Commands;

/// <summary><c>send &lt;token&gt; &lt;files|folders…&gt; [--json]</c>: sends files to a running task; exits 1 if any failed.</summary>
internal sealed class SendCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _token = new("token") { Description = "The task token (or its public pk_ key)" };
    private readonly Argument<string[]> _files = new("files") { Description = "Files or folders (recursively) to send", Arity = ArgumentArity.OneOrMore };
    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("send", "Send files to a running task and print what the pipeline returned") { _token, _files, _json };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var files = InputFiles.Expand(parse.GetRequiredValue(_files), Environment.WorkingDirectory);
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            var outcomes = await FileSender.SendAsync(client, parse.GetRequiredValue(_token), files, null, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(_json))
            {
                await JsonOutput.WriteAsync(Environment.Out, FileSender.ToJson(outcomes), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                FileSender.Print(Environment.Console, outcomes);
            }

            return outcomes.All(o => o.Succeeded) ? ExitCodes.Success : ExitCodes.Failure;
        }
    }
}
