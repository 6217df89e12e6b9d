using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Connections;

namespace PipelineHost.Server.Commands;

/// <summary><c>rrext_process</c>: stream objects into a running task through pipes.</summary>
internal sealed class DataCommands(TaskManager tasks) : ICommandModule
{
    private readonly ConcurrentDictionary<string, byte> _watched = new(StringComparer.Ordinal);

    public void Register(CommandTable table) => table.Add(new CommandDefinition("rrext_process", ProcessAsync, Permissions.Data));

    private async ValueTask<CommandResult> ProcessAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var task = tasks.GetTask(context.Token, context.Caller, Permissions.Data);
        switch (context.GetString("subcommand"))
        {
            case "open":
                WatchConnection(context.Connection);
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.Connection.Closed))
                {
                    var pipeId = await tasks.OpenPipeAsync(
                        task,
                        ReadObjectInfo(context),
                        context.GetString("mimeType"),
                        context.GetString("provider"),
                        context.Connection.Id,
                        linked.Token).ConfigureAwait(false);
                    return CommandResult.Ok(new JsonObject { ["pipe_id"] = pipeId });
                }

            case "write":
                var data = context.Request.Data ?? throw new CommandException("No data specified");
                await tasks.WritePipeAsync(task, TaskManager.ReadPipeId(context.Arguments), data, cancellationToken).ConfigureAwait(false);
                return CommandResult.Ok();

            case "close":
                var result = await tasks.ClosePipeAsync(task, TaskManager.ReadPipeId(context.Arguments), cancellationToken).ConfigureAwait(false);
                return CommandResult.Ok(result);

            case null:
                throw new CommandException("Argument 'subcommand' is required (open, write or close).");
            default:
                throw new CommandException($"Unknown subcommand '{context.GetString("subcommand")}' (expected open, write or close).");
        }
    }

    /// <summary>
    /// <c>object</c>'s fields that the pipeline reads: strings must be strings and <c>size</c> a non-negative integer,
    /// refused with the field named rather than coerced (or failing later, inside the worker).
    /// </summary>
    private static JsonObject ReadObjectInfo(CommandContext context)
    {
        var info = context.GetObject("object") ?? [];
        foreach (var name in (string[])["name", "path", "objectId", "url", "mimeType"])
        {
            if (info[name] is { } value && value.GetValueKind() is not (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Null))
            {
                throw new CommandException($"Argument 'object.{name}' must be a string.");
            }

            if (info[name] is JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String)
            {
                InputStrings.EnsureNoNul(text.GetValue<string>(), $"Argument 'object.{name}'");
            }
        }

        if (info["size"] is { } size && !(size is JsonValue number && number.GetValueKind() == System.Text.Json.JsonValueKind.Number && number.TryGetValue(out long bytes) && bytes >= 0))
        {
            throw new CommandException("Argument 'object.size' must be an integer of at least 0.");
        }

        return info;
    }

    private void WatchConnection(IClientConnection connection)
    {
        if (_watched.TryAdd(connection.Id, 0))
        {
            connection.OnClose(() =>
            {
                _watched.TryRemove(connection.Id, out _);
                tasks.ReleasePipesOwnedBy(connection.Id);
                return ValueTask.CompletedTask;
            });
        }
    }
}
