using System.CommandLine;
using System.Text.Json.Nodes;
using PipelineHost.Client;
using PipelineHost.Cli.Output;
using Spectre.Console;

namespace PipelineHost.Cli.Commands;

/// <summary><c>list [--json]</c>: the running tasks (<c>rrext_get_tasks</c>).</summary>
internal sealed class ListCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("list", "List the running tasks") { _json };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            if (parse.GetValue(_json))
            {
                var body = await client.CallAsync("rrext_get_tasks", new JsonObject(), cancellationToken).ConfigureAwait(false);
                await JsonOutput.WriteAsync(Environment.Out, body.DeepClone(), cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            var tasks = await client.GetTasksAsync(cancellationToken).ConfigureAwait(false);
            Print(Environment.Console, tasks);
            return ExitCodes.Success;
        }
    }

    private static void Print(IAnsiConsole console, IReadOnlyList<TaskSummary> tasks)
    {
        if (tasks.Count == 0)
        {
            console.MarkupLine("[grey]No running tasks.[/]");
            return;
        }

        var table = new Table().AddColumns("token", "name", "source", "status");
        foreach (var task in tasks)
        {
            table.AddRow(Markup.Escape(task.Token), Markup.Escape(task.Name), Markup.Escape(task.Source), Markup.Escape(task.Status));
        }

        console.Write(table);
    }
}
