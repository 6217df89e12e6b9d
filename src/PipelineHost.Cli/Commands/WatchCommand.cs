using System.CommandLine;
using System.Threading.Channels;
using PipelineHost.Client;
using PipelineHost.Cli.Output;
using Spectre.Console;
using TaskStatus = PipelineHost.Client.TaskStatus;

namespace PipelineHost.Cli.Commands;

/// <summary><c>watch &lt;token&gt;</c>: the status, live, until the task ends; exits 0 when it COMPLETED.</summary>
internal sealed class WatchCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _token = new("token") { Description = "The task token" };

    public override Command Create()
    {
        var command = new Command("watch", "Show a task's status live until it ends; exit 0 when it completed") { _token };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var token = parse.GetRequiredValue(_token);
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            var first = await client.GetTaskStatusAsync(token, cancellationToken).ConfigureAwait(false);
            var updates = Channel.CreateUnbounded<TaskStatus>(new UnboundedChannelOptions { SingleReader = true });
            var waiting = WaitAsync(client, token, updates.Writer, cancellationToken);
            if (Environment.IsLive)
            {
                await Environment.Console.Live(StatusView.Render(first)).StartAsync(async live =>
                {
                    // The display lives on this loop only: updates arrive from the client's threads through the channel.
                    await foreach (var status in updates.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                    {
                        live.UpdateTarget(StatusView.Render(status));
                        live.Refresh();
                    }
                }).ConfigureAwait(false);
            }
            else
            {
                await PrintLinesAsync(first, updates.Reader, cancellationToken).ConfigureAwait(false);
            }

            var final = await waiting.ConfigureAwait(false);
            if (!Environment.IsLive)
            {
                Environment.Console.Write(StatusView.Render(final));
            }

            return final.State == TaskState.Completed ? ExitCodes.Success : ExitCodes.Failure;
        }
    }

    // Not a terminal: one summary line per change (never a repeated frame), then the full status once at the end.
    private async Task PrintLinesAsync(TaskStatus first, ChannelReader<TaskStatus> updates, CancellationToken cancellationToken)
    {
        var last = StatusView.Line(first);
        Environment.Console.WriteLine(last);
        await foreach (var status in updates.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var line = StatusView.Line(status);
            if (line != last)
            {
                Environment.Console.WriteLine(line);
                last = line;
            }
        }
    }

    private static async Task<TaskStatus> WaitAsync(PipelineHostClient client, string token, ChannelWriter<TaskStatus> updates, CancellationToken cancellationToken)
    {
        try
        {
            var final = await client.WaitForCompletionAsync(token, new CallbackProgress<TaskStatus>(s => updates.TryWrite(s)), cancellationToken).ConfigureAwait(false);
            updates.TryComplete();
            return final;
        }
        catch (Exception ex)
        {
            updates.TryComplete(ex);
            throw;
        }
    }
}
