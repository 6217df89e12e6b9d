using System.CommandLine;
using System.Text.Json.Nodes;
using PipelineHost.Client;
using PipelineHost.Cli.Output;
using Spectre.Console;

namespace PipelineHost.Cli.Commands;

/// <summary>
/// <c>history [--json]</c>: finished tasks, from PipelineHost's <see cref="CommandName"/> (its durable task
/// history). RocketRide has no such command (<c>rrext_get_tasks</c> lists running tasks only): against a server
/// that does not know it, the CLI says so and exits 3.
/// </summary>
internal sealed class HistoryCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    /// <summary>The command the CLI expects a server with task history to answer.</summary>
    public const string CommandName = "rrext_get_history";

    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("history", $"List finished tasks (needs a server with '{CommandName}'; exit 3 without)") { _json };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            JsonObject body;
            try
            {
                body = await client.CallAsync(CommandName, new JsonObject(), cancellationToken).ConfigureAwait(false);
            }
            catch (PipelineHostException ex) when (IsUnknownCommand(ex))
            {
                throw new CliException($"history is not supported by this server (it has no '{CommandName}' command)", ExitCodes.Unsupported);
            }

            if (parse.GetValue(_json))
            {
                await JsonOutput.WriteAsync(Environment.Out, body.DeepClone(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Print(Environment.Console, body["tasks"] as JsonArray ?? []);
            }

            return ExitCodes.Success;
        }
    }

    // PipelineHost says "Unknown command 'x'"; RocketRide says "Invalid command: x".
    private static bool IsUnknownCommand(PipelineHostException ex) =>
        ex is not PipelineHostConnectionException
        && (ex.Message.StartsWith("Unknown command", StringComparison.Ordinal) || ex.Message.StartsWith("Invalid command", StringComparison.Ordinal));

    private static void Print(IAnsiConsole console, JsonArray tasks)
    {
        if (tasks.Count == 0)
        {
            console.MarkupLine("[grey]No finished tasks.[/]");
            return;
        }

        var table = new Table().AddColumns("token or id", "name", "state", "status", "ended");
        foreach (var task in tasks.OfType<JsonObject>())
        {
            var status = PipelineHost.Client.TaskStatus.FromJson(task);
            table.AddRow(
                // A task known only from the history has no token in the list (the store keeps only its hash).
                Markup.Escape(task["token"]?.ToString() ?? task["id"]?.ToString() ?? string.Empty),
                Markup.Escape(status.Name),
                StatusView.StateMarkup(status.State),
                Markup.Escape(status.Status),
                Markup.Escape(Format.Time(status.EndTime)));
        }

        console.Write(table);
    }
}
