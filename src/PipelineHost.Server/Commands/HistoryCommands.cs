using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Commands;

/// <summary><c>rrext_get_history</c>: finished and running tasks from the task store (API keys only).</summary>
internal sealed class HistoryCommands(TaskManager tasks) : ICommandModule
{
    /// <summary>The default and largest <c>limit</c>.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest <c>limit</c>.</summary>
    public const int MaxLimit = 1000;

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
        foreach (var field in new[] { "statusName", "exitReason", "createdAt", "startedAt", "completedAt" })
        {
            entry[field] = status[field]?.DeepClone();
        }

        return entry;
    }

    private async ValueTask<CommandResult> GetHistoryAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var query = new TaskQuery
        {
            Limit = (int)(context.GetInteger("limit", 1, MaxLimit) ?? DefaultLimit),
            State = context.GetInteger("state", 0, 6) is { } state ? (TaskState)state : null,
            ProjectId = context.GetString("projectId") ?? context.GetString("project_id"),
        };
        var records = await tasks.ListHistoryAsync(query, context.Caller, cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(new JsonObject { ["tasks"] = new JsonArray(records.Select(r => (JsonNode)Entry(r)).ToArray()) });
    }
}
