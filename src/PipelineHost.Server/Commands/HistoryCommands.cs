using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Commands;

/// <summary>
/// <c>rrext_get_history</c>: finished and running tasks from the task store (API keys only), filtered, sorted and
/// paged as <see cref="HistoryQueryReader"/> reads them; <c>GET /history</c> answers the same body.
/// </summary>
internal sealed class HistoryCommands(TaskManager tasks) : ICommandModule
{
    public void Register(CommandTable table) => table.Add(new CommandDefinition("rrext_get_history", GetHistoryAsync, Permissions.Monitor));

    /// <summary>One task in the history list; the outcome and ISO times as the record's TASK_STATUS has them.</summary>
    public static JsonObject Entry(TaskRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var status = record.ToStatus();
        var entry = new JsonObject
        {
            ["token"] = record.Token,
            ["id"] = record.Id,
            ["name"] = record.Name,
            ["projectId"] = record.ProjectId,
            ["source"] = record.Source,
            ["state"] = (int)record.State,
            ["status"] = record.StatusText,
            ["startTime"] = record.CreatedAt,
            ["endTime"] = record.EndedAt ?? 0,
            ["exitCode"] = record.ExitCode,
            ["exitMessage"] = record.ExitMessage,
        };
        // The store keeps only a keyed hash of each token: a task's token is listed while the task is in memory
        // (where the API key may read it anyway); a task known only from the history is named by its id.
        if (record.Token is null)
        {
            entry.Remove("token");
        }

        foreach (var field in new[] { "statusName", "exitReason", "createdAt", "startedAt", "completedAt", "taskType", "totalCount", "completedCount", "failedCount", "rateCount", "failedItems", "metrics", "tokens" })
        {
            entry[field] = status[field]?.DeepClone();
        }

        return entry;
    }

    /// <summary>The answer to a history query: one page, how many match in all, and the page's bounds.</summary>
    public static JsonObject Body(TaskPage page, TaskQuery query)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(query);
        return new JsonObject
        {
            ["tasks"] = new JsonArray(page.Records.Select(r => (JsonNode)Entry(r)).ToArray()),
            ["total"] = page.Total,
            ["offset"] = query.Offset,
            ["limit"] = query.Limit,
        };
    }

    // Over the WebSocket a number is a JSON number, as for every other command's arguments (the wire's strict
    // types); only HTTP's query string spells numbers as text.
    private static readonly HashSet<string> NumberArguments = new(StringComparer.Ordinal) { "limit", "offset" };

    /// <summary>A query from the request's arguments: strings, or numbers where a number is meant.</summary>
    public static TaskQuery ReadQuery(JsonObject arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return HistoryQueryReader.Read(name => arguments[name] switch
        {
            null => null,
            JsonValue v when NumberArguments.Contains(name) && v.GetValueKind() != JsonValueKind.Number =>
                throw new CommandException($"Argument '{name}' must be an integer."),
            JsonValue v when name == "state" && v.GetValueKind() == JsonValueKind.String && int.TryParse(v.GetValue<string>(), out _) =>
                throw new CommandException("Argument 'state' must be a state number or a state name such as \"RUNNING\"."),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
            _ => throw new CommandException($"Argument '{name}' must be a string or a number."),
        });
    }

    private async ValueTask<CommandResult> GetHistoryAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var query = ReadQuery(context.Arguments);
        var page = await tasks.ListHistoryPageAsync(query, context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(Body(page, query));
    }
}
